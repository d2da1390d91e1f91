# Python control flow: the graph follows the path actually taken
import torch

torch.manual_seed(0)


def f(a):
    b = a * 2
    # The loop runs as many times as the data needs...
    while b.norm() < 1000:
        b = b * 2
    # ...and the branch depends on the data too.
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.randn(size=(), requires_grad=True)
d = f(a)
d.backward()

# f is linear in a (d = k * a for some k), so the gradient is d / a.
print(a.grad == d / a)
