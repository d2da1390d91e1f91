# Q = 3a³ − b²: two leaves, a vector output
import torch

a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)

Q = 3 * a**3 - b**2

# Q is a vector, so we pass dQ/dQ = 1 for each element.
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)

# dQ/da = 9a², dQ/db = -2b
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)

# Each grad_fn knows the functions that come before it.
print(Q.grad_fn)
print(Q.grad_fn.next_functions)
