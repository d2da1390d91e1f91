# Gradients accumulate: zero them between backward passes
import torch

x = torch.arange(4.0, requires_grad=True)

# First backward: dy/dx = 4x.
y = 2 * torch.dot(x, x)
y.backward()
print(x.grad)

# A second backward of a new graph ADDS to x.grad instead of replacing it.
y = 2 * torch.dot(x, x)
y.backward()
print(x.grad)  # twice as big: 8x

# Reset the gradient, then differentiate another function: d(sum x)/dx = 1.
x.grad.zero_()
y = x.sum()
y.backward()
print(x.grad)
