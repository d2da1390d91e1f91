"""Training loops shared by the training-series tests (core and UI)."""

LINREG = """\
import torch

x = torch.linspace(0, 1, 8)
y = 3 * x + 0.5
w = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
lr = 0.5
for i in range(100):
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    print(i, repr(loss.item()))
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
print("final", repr(w.item()), repr(b.item()))
"""

XOR = """\
# A 2-layer MLP learns XOR with torch.nn and torch.optim.SGD
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])

model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

for epoch in range(300):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 100 == 0:
        print(epoch, loss.item())

print(model(X).detach().flatten())
"""
