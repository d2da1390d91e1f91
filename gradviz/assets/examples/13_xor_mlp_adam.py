# The same XOR MLP trained with torch.optim.Adam
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])

model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
# Adam keeps two buffers per weight: a running mean of the gradient (m) and of its square (v).
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

for epoch in range(200):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 50 == 0:
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}")

# The predictions for (0, 0), (0, 1), (1, 0), (1, 1): close to 0, 1, 1, 0.
with torch.no_grad():
    print(", ".join(f"{p:.2f}" for p in model(X).flatten().tolist()))
