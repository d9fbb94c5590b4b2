"""The precision of the fully supervised model's U-Net backward, in PyTorch: the authors' class generator alone (their
pytorch_prototyping.Unet, built as SRNsModel builds it), loaded from an authors'-weights fixture
(bench/parity/authors_fixture.py), on the fixture's features and labels, in train mode: the cross-entropy's gradients
of every parameter and of the input, in float32 and in float64. bench/parity/unet_precision.ts compares ours with both.

usage: python bench/parity/unet_precision.py --code DIR --fixture DIR --out DIR
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument('--code', required=True)
p.add_argument('--fixture', required=True)
p.add_argument('--out', required=True)
a = p.parse_args()
sys.path.insert(0, os.path.abspath(a.code))
from pytorch_prototyping import pytorch_prototyping  # noqa: E402

torch.set_num_threads(1)
made = json.load(open(os.path.join(a.fixture, 'made-with.json')))
cg = made['class_generator']
state = torch.load(os.path.join(a.fixture, 'srn.pth'), map_location='cpu', weights_only=False)['model']
T = 'class_generator.'
features = np.load(os.path.join(a.fixture, 'features.npy'))  # [B, S·S, F]
labels = np.load(os.path.join(a.fixture, 'labels.npy'))  # [B, S·S, 1]
B, P, F = features.shape
S = int(round(P ** 0.5))
# f64-ulp: float64 on the features moved by one float32 ulp at random, the size of the difference between our SRN's
# features and theirs: how much the gradient itself moves with its input at float32's resolution (its conditioning).
ulp = np.spacing(np.abs(features).astype(np.float32)).astype(np.float64)
moved = features.astype(np.float64) + ulp * np.random.default_rng(0).choice([-1.0, 1.0], size=features.shape)
out = {'loss': {}}
for name, dtype, feats in (('f32', torch.float32, features), ('f64', torch.float64, features), ('f64-ulp', torch.float64, moved)):
    net = pytorch_prototyping.Unet(in_channels=F, out_channels=made['classes'], outermost_linear=True, use_dropout=False,
                                   dropout_prob=0.4, nf0=cg['nf0'], norm=nn.BatchNorm2d, max_channels=cg['max_channels'],
                                   num_down=cg['num_down'])
    net.load_state_dict({k[len(T):]: v for k, v in state.items() if k.startswith(T)})
    net = net.to(dtype).train()
    x = torch.from_numpy(feats).to(dtype).permute(0, 2, 1).reshape(B, F, S, S).requires_grad_(True)
    logits = net(x)
    loss = nn.functional.cross_entropy(logits, torch.from_numpy(labels).long().reshape(B, S, S))
    loss.backward()
    out['loss'][name] = loss.item()
    d = os.path.join(a.out, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, 'input.npy'), x.grad.permute(0, 2, 3, 1).reshape(B, P, F).double().numpy())
    for k, q in net.state_dict(keep_vars=True).items():
        if isinstance(q, torch.Tensor) and q.grad is not None:
            np.save(os.path.join(d, f'{T}{k}.npy'), q.grad.double().numpy())
json.dump({**out, 'torch': torch.__version__, 'side': S, 'features': F, 'class_generator': cg},
          open(os.path.join(a.out, 'made-with.json'), 'w'), indent=1)
print(out)
