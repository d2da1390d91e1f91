# A 2-layer MLP learns XOR with torch.nn and torch.optim.SGD
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])

model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

# One iteration: zero the gradients, forward, backward, step.
for epoch in range(1000):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 200 == 0:
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}")

# The predictions for (0, 0), (0, 1), (1, 0), (1, 1): close to 0, 1, 1, 0.
with torch.no_grad():
    print(", ".join(f"{p:.2f}" for p in model(X).flatten().tolist()))
