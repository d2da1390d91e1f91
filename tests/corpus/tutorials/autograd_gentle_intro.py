# "A Gentle Introduction to torch.autograd" (beginner_source/blitz/autograd_tutorial.py), its code
# cells in order.
#
# Replaced download: torchvision's pretrained resnet18 (weights fetched from the internet) is
# replaced by the smallest local stand-in with the same interface: a model taking the same
# (1, 3, 64, 64) image, pooled to 512 features, then `fc` a Linear(512, 1000) as in resnet18, so the
# training step, the freezing loop and `model.fc = nn.Linear(512, 10)` run unchanged.
# %%
import torch
from torch import nn as _nn


class _Resnet18StandIn(_nn.Module):
    # resnet18 ends in global average pooling to 512 features, then `fc`; this stand-in
    # pools the image's channels and lifts them to 512 features with one Linear layer.
    def __init__(self):
        super().__init__()
        self.body = _nn.Linear(3, 512)
        self.fc = _nn.Linear(512, 1000)

    def forward(self, x):
        return self.fc(torch.relu(self.body(x.mean(dim=(2, 3)))))


def resnet18(weights=None):
    return _Resnet18StandIn()


class ResNet18_Weights:
    DEFAULT = None
# %%
import torch
model = resnet18(weights=ResNet18_Weights.DEFAULT)
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)
# %%
prediction = model(data) # forward pass
# %%
loss = (prediction - labels).sum()
loss.backward() # backward pass
# %%
optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
# %%
optim.step() #gradient descent
# %%
import torch

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
# %%
Q = 3*a**3 - b**2
# %%
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
# %%
# check if collected gradients are correct
print(9*a**2 == a.grad)
print(-2*b == b.grad)
# %%
x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients? : {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")
# %%
from torch import nn, optim

model = resnet18(weights=ResNet18_Weights.DEFAULT)

# Freeze all the parameters in the network
for param in model.parameters():
    param.requires_grad = False
# %%
model.fc = nn.Linear(512, 10)
# %%
# Optimize only the classifier
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
