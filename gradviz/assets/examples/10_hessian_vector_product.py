# Hessian-vector product: the gradient of (gradient · v), without building the Hessian
import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
f = (x**3).sum()  # f = x₀³ + x₁³, so the Hessian is diag(6x₀, 6x₁)

(g,) = torch.autograd.grad(f, x, create_graph=True)  # g = 3x² = [3, 12]
v = torch.tensor([1.0, 0.0])
(hv,) = torch.autograd.grad(g, x, grad_outputs=v)  # H·v = [6, 0]
print(hv)
