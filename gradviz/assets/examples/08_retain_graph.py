# retain_graph: backward frees the graph unless told not to
import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()

# retain_graph=True keeps the saved tensors, so we may go backward again.
y.backward(retain_graph=True)
print(x.grad)
y.backward(retain_graph=True)
print(x.grad)  # accumulated: twice the gradient

# This backward frees the saved tensors...
y.backward()
print(x.grad)

# ...so a further one fails. Read the error below.
y.backward()
