# A tiny RNN cell unrolled over 8 steps: W_h, W_x and b are shared by every step
import torch

torch.manual_seed(0)
W_h = torch.randn(3, 3, requires_grad=True)
W_x = torch.randn(3, 2, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
xs = torch.randn(8, 2)

# The same cell runs 8 times; each run feeds its hidden state h to the next.
h = torch.zeros(3)
for t in range(8):
    h = torch.tanh(W_h @ h + W_x @ xs[t] + b)
loss = h.sum()
loss.backward()

# Each weight was used 8 times, so 8 gradients are summed into its .grad.
print(f"loss = {loss.item():.4f}")
print(f"|W_h.grad| = {W_h.grad.norm().item():.4f}")
print(f"b.grad = {b.grad}")
