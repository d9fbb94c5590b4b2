"""Writes the authors'-weights parity fixture (test/fixtures/authors-tiny): a small SRN built from the authors' own
modules (HyperFC, Raymarcher, FCBlock, the class generator's Unet, their SRNsModel.forward and LinearModel.forward), saved with torch.save as their
custom_save does, the outputs of one forward pass on fixed rays, and one training step's losses and gradients. test/training/authors_weights.test.ts imports the
weights into our model and checks our forward pass against these outputs.

usage: python bench/parity/authors_fixture.py --code DIR --out test/fixtures/authors-tiny [--paper]
  DIR holds their code at 3ff49be with pytorch_prototyping/ at 10f49b1 (docs/parity.md, "What you need").
Widths are small (their SRNsModel hard-codes 256, which would make a 10 MB fixture): the modules are built with the
arguments SRNsModel.__init__ passes, at width 32 and latent 16; everything else (4 phi layers, 1 hyper hidden layer,
LSTM 16, 10 marching steps, 5 renderer layers, initial depth 0.05) is theirs.
--paper builds the model with their constructors as released (SRNsModel: width 256, latent 256, the class generator
at nf0 64, 4 downs, max 128; LinearModel(256 → C)) and saves the SRN with an Adam state beside it, as their train.py's
checkpoints hold one: a ~0.9 GB folder, for bench/parity/authors_weights.ts, not for git.
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument('--code', required=True)
p.add_argument('--out', required=True)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--paper', action='store_true')
p.add_argument('--side', type=int, default=16)
p.add_argument('--unet', default='4,8,3', help='nf0,max_channels,num_down of the small model\'s class generator')
a = p.parse_args()

# Their code calls .cuda() everywhere; on a CPU machine it must be the identity.
torch.Tensor.cuda = lambda self, *args, **kw: self
nn.Module.cuda = lambda self, *args, **kw: self
sys.path.insert(0, os.path.abspath(a.code))
import util  # noqa: E402  (theirs)
util.show_images = lambda *args, **kw: None  # a matplotlib figure every 100 steps, irrelevant here
import hyperlayers  # noqa: E402
import models  # noqa: E402
from custom_layers import Raymarcher  # noqa: E402
from pytorch_prototyping import pytorch_prototyping  # noqa: E402

torch.manual_seed(a.seed)
np.random.seed(a.seed)
torch.set_num_threads(1)

F, D, C, N, STEPS = (256, 256, 6, 10, 10) if a.paper else (32, 16, 6, 3, 10)

if a.paper:
    srn = models.SRNsModel(num_classes=C, num_instances=N, latent_dim=D, tracing_steps=STEPS, seg=True)
else:
    # SRNsModel as its __init__ builds it, at width F (bypassing the hard-coded 256).
    srn = models.SRNsModel.__new__(models.SRNsModel)
    nn.Module.__init__(srn)
    srn.num_classes, srn.latent_dim, srn.seg, srn.pc = C, D, True, False
    srn.num_hidden_units_phi, srn.phi_layers, srn.rendering_layers = F, 4, 5
    srn.sphere_trace_steps, srn.num_instances, srn.counter = STEPS, N, 0
    srn.latent_codes = nn.Embedding(N, D, sparse=True)
    nn.init.normal_(srn.latent_codes.weight, mean=0, std=0.01)
    srn.hyper_phi = hyperlayers.HyperFC(hyper_in_ch=D, hyper_num_hidden_layers=1, hyper_hidden_ch=D, hidden_ch=F,
                                        num_hidden_layers=srn.phi_layers - 2, in_ch=3, out_ch=F)
    srn.ray_marcher = Raymarcher(num_feature_channels=F, raymarch_steps=STEPS)
    srn.pixel_generator = pytorch_prototyping.FCBlock(hidden_ch=F, num_hidden_layers=srn.rendering_layers - 1,
                                                      in_features=F, out_features=4, outermost_linear=True)
srn.logs = []
srn.l2_loss, srn.cross_entropy_loss = nn.MSELoss(reduction='mean'), nn.CrossEntropyLoss(reduction='mean')
# Codes of a trained table are far from the init's 0.01: spread them so each object's phi differs.
with torch.no_grad():
    srn.latent_codes.weight.normal_(0, 0.5)
    # LayerNorm affine parameters start at 1 / 0; move them so a swapped gamma and beta would show.
    for name, prm in srn.named_parameters():
        if '.net.1.' in name:
            prm.add_(0.1 * torch.randn_like(prm))
# Built after the rest has drawn its random numbers, so that adding it left the other weights as they were.
# The fully supervised model's class generator, as SRNsModel builds it but at nf0 4, max 8, 3 downs (theirs: 64, 128, 4).
if not a.paper:
    nf0, mx, nd = (int(v) for v in a.unet.split(','))
    srn.class_generator = pytorch_prototyping.Unet(in_channels=F, out_channels=C, outermost_linear=True,
                                                   use_dropout=False, dropout_prob=0.4, nf0=nf0, norm=nn.BatchNorm2d,
                                                   max_channels=mx, num_down=nd)
with torch.no_grad():
    # BatchNorm: affine parameters and running statistics away from their initial 1 / 0.
    for m in srn.class_generator.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.add_(0.2 * torch.randn_like(m.weight))
            m.bias.add_(0.2 * torch.randn_like(m.bias))
            m.running_mean.normal_(0, 0.3)
            m.running_var.uniform_(0.5, 2.0)
srn.eval()
# Saved as it is now: the training step below moves the BatchNorm statistics.
srn_state = copy.deepcopy(srn.state_dict())

if a.paper:
    lin = models.LinearModel(num_classes=C)
else:
    lin = models.LinearModel.__new__(models.LinearModel)
    nn.Module.__init__(lin)
    lin.num_classes, lin.num_hidden_units_phi = C, F
    lin.linear = nn.Linear(F, C, bias=True)
    lin.cross_entropy_loss = nn.CrossEntropyLoss(reduction='mean')
lin.eval()

# Two views of two objects, 16² pixels, cameras on a sphere of radius 1.3 looking at the origin (OpenCV axes).
S = a.side
def look_at(pos):
    pos = np.asarray(pos, dtype=np.float64)
    z = -pos / np.linalg.norm(pos)
    x = np.cross(z, np.array([0.0, 0.0, 1.0]))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, pos
    return m
poses = np.stack([look_at([1.3 * np.cos(t), 1.3 * np.sin(t), 0.4]) for t in (0.3, 2.1)]).astype(np.float32)
K = np.array([[1.4 * S, 0, S / 2], [0, 1.4 * S, S / 2], [0, 0, 1]], dtype=np.float32)
uv = np.mgrid[0:S, 0:S].astype(np.int32)
uv = np.flip(uv, axis=0).copy().reshape(2, -1).transpose(1, 0)  # their dataio's (x, y) order
inp = {
    'instance_idx': torch.tensor([0, 2]),
    'pose': torch.from_numpy(poses),
    'intrinsics': torch.from_numpy(np.stack([K, K])),
    'uv': torch.from_numpy(np.stack([uv, uv])).long(),
}
with torch.no_grad():
    out = srn(inp)
    seg = lin(out['features'])['seg']

# One training step's gradients, their train.py's loss with its default weights (l1 200, reg 1e-3, kl 1), on a fixed
# random target; train mode, so the ray marcher's gradient clamp on the LSTM state is hooked as in training.
gen = torch.Generator().manual_seed(a.seed + 1)
target = torch.rand(2, S * S, 4, generator=gen) * 2 - 1
labels = torch.randint(0, C, (2, S * S, 1), generator=gen)
srn.train()
srn.zero_grad()
z = srn.latent_codes(inp['instance_idx']).detach().requires_grad_(True)
out_t = srn(inp, z=z)
img, reg, lat = srn.get_image_loss(out_t, {'rgb': target}), srn.get_regularization_loss(out_t, None), srn.get_latent_loss()
total = 200 * img + 1e-3 * reg + 1 * lat
total.backward()
optimiser = None
if a.paper:
    # Their train.py saves Adam's state beside the model: a checkpoint of the released kind.
    optimiser = torch.optim.Adam([q for n, q in srn.named_parameters() if n != 'latent_codes.weight'], lr=4e-4)
GRADS = ['hyper_phi.layers.0.hyper_linear.slave_params.net.0.net.0.weight',
         'hyper_phi.layers.3.hyper_linear.slave_params.net.2.weight',
         'hyper_phi.layers.1.hyper_linear.slave_params.net.1.net.1.weight',
         'ray_marcher.lstm.weight_hh', 'ray_marcher.lstm.bias_ih', 'ray_marcher.out_layer.weight',
         'pixel_generator.net.0.net.0.weight', 'pixel_generator.net.5.weight']
params = dict(srn.named_parameters())
grads = {'z': z.grad.numpy(), **{n: params[n].grad.numpy() for n in GRADS}}
# The linear probe's step: cross-entropy of its logits on the frozen features (their get_seg_loss).
lin.zero_grad()
ce = lin.get_seg_loss(lin(out['features']), {'seg': labels})
ce.backward()
grads['linear.weight'], grads['linear.bias'] = lin.linear.weight.grad.numpy(), lin.linear.bias.grad.numpy()
losses = {'img': img.item(), 'reg': reg.item(), 'latent': lat.item(), 'total': total.item(), 'ce': ce.item()}

# Their test-time fit (train.py --overwrite_embeddings): everything frozen but the codes, which their SparseAdam
# (lr 4e-4, betas (0.5, 0.5), eps 1e-5) moves for FIT_STEPS steps on the same rays and target; from the saved weights.
FIT_STEPS = 20
if optimiser is not None:
    optimiser.step()  # before the fit, which leaves the other weights without gradients
fit_srn = srn
fit_srn.load_state_dict(srn_state)
fit_srn.train()
for q in fit_srn.parameters():
    q.requires_grad = False
fit_srn.latent_codes.weight.requires_grad = True
fit_opt = torch.optim.SparseAdam([fit_srn.latent_codes.weight], lr=4e-4, betas=(0.5, 0.5), eps=1e-5)
fit_losses = []
for _ in range(FIT_STEPS):
    fit_opt.zero_grad()
    o = fit_srn(inp)
    loss = 200 * fit_srn.get_image_loss(o, {'rgb': target}) + 1e-3 * fit_srn.get_regularization_loss(o, None) \
        + 1 * fit_srn.get_latent_loss()
    loss.backward()
    fit_opt.step()
    fit_losses.append(loss.item())
fit_codes = fit_srn.latent_codes.weight.detach()[inp['instance_idx']].numpy()

# The fully supervised model's step (train.py at --class_weight 8): the class generator in train mode (BatchNorm on
# the batch's statistics, running statistics moved) adds 8 × cross-entropy; gradients of the codes, the hypernetwork
# and the U-Net, and the running statistics after the step's forward pass. From the saved weights again.
srn.load_state_dict(srn_state)
srn.train()
for q in srn.parameters():
    q.requires_grad = True
srn.zero_grad()
z = srn.latent_codes(inp['instance_idx']).detach().requires_grad_(True)
o = srn(inp, z=z)
sem_terms = {'img': srn.get_image_loss(o, {'rgb': target}), 'reg': srn.get_regularization_loss(o, None),
             'latent': srn.get_latent_loss(), 'ce': srn.get_seg_loss(o, {'seg': labels})}
sem_total = 200 * sem_terms['img'] + 8 * sem_terms['ce'] + 1e-3 * sem_terms['reg'] + 1 * sem_terms['latent']
sem_total.backward()
SEM_GRADS = ['class_generator.in_layer.0.net.1.weight', 'class_generator.in_layer.1.weight',
             'class_generator.unet_block.model.0.net.5.weight', 'class_generator.unet_block.model.0.net.6.bias',
             'class_generator.out_layer.0.net.1.bias', 'hyper_phi.layers.3.hyper_linear.slave_params.net.2.weight']
params = srn.state_dict(keep_vars=True)  # every name, aliases included (Conv2dSame registers its weight twice)
sem = {'z': z.grad.numpy().copy(), **{n: params[n].grad.numpy().copy() for n in SEM_GRADS}}
buffers = dict(srn.named_buffers())
sem['class_generator.in_layer.1.running_mean'] = buffers['class_generator.in_layer.1.running_mean'].numpy().copy()
sem['class_generator.unet_block.model.0.net.6.running_var'] = \
    buffers['class_generator.unet_block.model.0.net.6.running_var'].numpy().copy()
sem_losses = {k: v.item() for k, v in sem_terms.items()}
sem_losses['total'] = sem_total.item()

os.makedirs(a.out, exist_ok=True)
torch.save({'model': srn_state, **({'optimizer_0': optimiser.state_dict()} if optimiser else {})},
           os.path.join(a.out, 'srn.pth'))  # as util.custom_save writes it
torch.save({'model': lin.state_dict()}, os.path.join(a.out, 'linear.pth'))
arrays = {'pose': poses, 'intrinsics': np.stack([K, K]), 'uv': np.stack([uv, uv]).astype(np.float32),
          'instance_idx': np.array([0, 2], dtype=np.int32), 'rgb': out['rgb'].numpy(), 'depth': out['depth'].numpy(),
          'features': out['features'].numpy(), 'seg': seg.numpy(), 'seg_unet': out['seg'].numpy()}
arrays.update({'target': target.numpy(), 'labels': labels.numpy().astype(np.int32),
               'fit_losses': np.array(fit_losses, dtype=np.float32), 'fit_codes': fit_codes})
for k, v in arrays.items():
    np.save(os.path.join(a.out, f'{k}.npy'), np.ascontiguousarray(v))
os.makedirs(os.path.join(a.out, 'grad'), exist_ok=True)
for k, v in grads.items():
    np.save(os.path.join(a.out, 'grad', f'{k}.npy'), np.ascontiguousarray(v.astype(np.float32)))
json.dump(losses, open(os.path.join(a.out, 'losses.json'), 'w'), indent=1)
os.makedirs(os.path.join(a.out, 'semantic'), exist_ok=True)
for k, v in sem.items():
    np.save(os.path.join(a.out, 'semantic', f'{k}.npy'), np.ascontiguousarray(v.astype(np.float32)))
json.dump(sem_losses, open(os.path.join(a.out, 'semantic', 'losses.json'), 'w'), indent=1)
json.dump({'torch': torch.__version__, 'numpy': np.__version__, 'seed': a.seed, 'width': F, 'latent': D, 'classes': C,
           'paper': a.paper, 'class_generator': {'nf0': 64, 'max_channels': 128, 'num_down': 4} if a.paper else
           dict(zip(['nf0', 'max_channels', 'num_down'], (int(v) for v in a.unet.split(',')))),
           'instances': N, 'tracing_steps': STEPS, 'side': S, 'fit_steps': FIT_STEPS},
          open(os.path.join(a.out, 'made-with.json'), 'w'), indent=1)
print({k: list(v.shape) for k, v in arrays.items()})
