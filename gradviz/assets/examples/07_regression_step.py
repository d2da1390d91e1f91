# One step of linear regression: loss, backward, update
import torch

x = torch.arange(6).reshape(2, 3) * 1.0
target = torch.arange(2, 4).reshape(2, 1) * 1.0

# The weights are the leaf we learn.
w = torch.ones((3, 1), requires_grad=True)

output = x.matmul(w)
loss = ((output - target) ** 2).mean()
print(loss)

loss.backward()
print(w.grad)

# Update the weights without recording the update in the graph.
with torch.no_grad():
    w.add_(w.grad, alpha=-0.01)
print(w)
