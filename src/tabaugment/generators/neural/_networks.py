"""The torch networks of the neural generators, at module level.

Importing this module imports torch, so the generators import it inside ``_fit`` (and when
a saved generator is loaded), never at the top: ``import tabaugment.generators`` stays light.
Every random choice inside a network (dropout masks) draws from a local generator, never from
torch's global one.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "GPT",
    "IMAGE_SIDES",
    "CTABGANDiscriminator",
    "CTABGANGenerator",
    "CTGANDiscriminator",
    "CTGANGenerator",
    "Denoiser",
    "LabelClassifier",
    "LatentDenoiser",
    "LocalDropout",
    "TVAEDecoder",
    "TVAEEncoder",
    "TabSynDecoder",
    "TabSynEncoder",
    "set_dropout_generator",
]


class LocalDropout(nn.Module):
    """Dropout drawing its masks from a local generator (``nn.Dropout`` uses the global RNG);
    off until :func:`set_dropout_generator` gives it one."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.generator is None or self.p <= 0:
            return x
        keep = torch.rand(x.shape, generator=self.generator).to(x.device) >= self.p
        return x * keep / (1 - self.p)


def set_dropout_generator(module: nn.Module, generator: torch.Generator) -> None:
    """Give every :class:`LocalDropout` layer inside ``module`` the generator to draw from."""
    for layer in module.modules():
        if isinstance(layer, LocalDropout):
            layer.generator = generator


# ---------------------------------------------------------------------- TVAE
class TVAEEncoder(nn.Module):
    """Rows and their one-hot label to the mean and log-variance of the latent code."""

    def __init__(self, d_in: int, d_label: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in + d_label, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.net(torch.cat([x, c], dim=1))
        return self.mu(h), self.logvar(h)


class TVAEDecoder(nn.Module):
    """A latent code and a one-hot label to a transformed row; ``log_sigma`` is the learned
    scale of each mode-normalised value."""

    def __init__(self, d_in: int, d_label: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent + d_label, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, d_in),
        )
        self.log_sigma = nn.Parameter(torch.full((d_in,), math.log(0.1), dtype=torch.float32))

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, c], dim=1))


# ---------------------------------------------------------------------- CTGAN
class _Residual(nn.Module):
    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.fc, self.bn = nn.Linear(i, o), nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class CTGANGenerator(nn.Module):
    """Noise and a conditional vector to raw outputs (tanh and Gumbel-softmax come after)."""

    def __init__(self, d_noise: int, d_cond: int, d_data: int, width: int) -> None:
        super().__init__()
        d = d_noise + d_cond
        self.body = nn.Sequential(_Residual(d, width), _Residual(d + width, width))
        self.out = nn.Linear(d + 2 * width, d_data)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(z))


class CTGANDiscriminator(nn.Module):
    """A critic scoring packs of ``pac`` rows with their conditional vectors (PacGAN)."""

    def __init__(self, d_data: int, d_cond: int, pac: int, width: int) -> None:
        super().__init__()
        self.pac = pac
        self.net = nn.Sequential(
            nn.Linear((d_data + d_cond) * pac, width),
            nn.LeakyReLU(0.2),
            LocalDropout(0.5),
            nn.Linear(width, width),
            nn.LeakyReLU(0.2),
            LocalDropout(0.5),
            nn.Linear(width, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, x.shape[1] * self.pac))

    def set_generator(self, generator: torch.Generator) -> None:
        set_dropout_generator(self, generator)


# ---------------------------------------------------------------------- CTAB-GAN+
IMAGE_SIDES = (4, 8, 16, 24, 32, 48, 64, 96, 128)


def _conv_plan(side: int, channels: int) -> list[tuple[int, int]]:
    """(channels, side) of each feature map, from the one-channel image down to at most
    three halvings (DCGAN's layout as CTAB-GAN uses it)."""
    plan = [(1, side), (channels, side // 2)]
    while plan[-1][1] > 3 and len(plan) < 4:
        plan.append((plan[-1][0] * 2, plan[-1][1] // 2))
    return plan


class CTABGANGenerator(nn.Module):
    """Noise and a conditional vector (as a 1x1 image of channels) up through transposed
    convolutions to a ``side`` x ``side`` image, read row-wise and cut to ``d_data`` values."""

    def __init__(self, d_in: int, d_data: int, side: int, channels: int) -> None:
        super().__init__()
        plan = _conv_plan(side, channels)
        layers: list[nn.Module] = [nn.ConvTranspose2d(d_in, plan[-1][0], plan[-1][1], 1, 0, bias=False)]
        for (c_out, _), (c_in, _) in zip(reversed(plan[:-1]), reversed(plan[1:])):
            layers += [nn.BatchNorm2d(c_in), nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)]
        self.net = nn.Sequential(*layers)
        self.d_data = d_data

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None]).flatten(1)[:, : self.d_data]


class CTABGANDiscriminator(nn.Module):
    """A critic over rows with their conditional vectors laid out as a zero-padded square
    image: strided convolutions (layer-normalised, LeakyReLU) to features, then one score.
    ``features`` are what the information loss compares."""

    def __init__(self, d_in: int, side: int, channels: int) -> None:
        super().__init__()
        plan = _conv_plan(side, channels)
        layers: list[nn.Module] = []
        for i, ((c_in, _), (c_out, _)) in enumerate(itertools.pairwise(plan)):
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=i == 0))
            if i:  # layer norm, not batch norm: the gradient penalty is per row
                layers.append(nn.GroupNorm(1, c_out))
            layers.append(nn.LeakyReLU(0.2))
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(plan[-1][0], 1, plan[-1][1], 1, 0)
        self.side = side

    def features(self, x: torch.Tensor) -> torch.Tensor:
        img = F.pad(x, (0, self.side * self.side - x.shape[1])).view(-1, 1, self.side, self.side)
        return self.body(img)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).flatten(1)

    def set_generator(self, generator: torch.Generator) -> None:
        """No dropout inside; here for the training loop CTGAN shares."""


class LabelClassifier(nn.Module):
    """CTAB-GAN's auxiliary classifier: a row's features to its label's logits."""

    def __init__(self, d_in: int, n_labels: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, n_labels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# ---------------------------------------------------------------------- diffusion
def sinusoid(t: torch.Tensor, width: int) -> torch.Tensor:
    """Sinusoidal embedding (``width`` features) of a timestep or noise level per row."""
    half = width // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half).to(t.device)
    ang = t.float()[:, None] * freqs[None, :]
    emb = torch.cat([torch.cos(ang), torch.sin(ang)], dim=1)
    return F.pad(emb, (0, width - emb.shape[1])) if emb.shape[1] < width else emb


class Denoiser(nn.Module):
    """Predicts the Gaussian noise of the numbers and the clean categories' logits from a noisy
    row, its timestep and its label."""

    def __init__(self, d_num: int, d_cat: int, n_labels: int, width: int) -> None:
        super().__init__()
        self.label = nn.Embedding(n_labels, width)
        self.time = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.inp = nn.Linear(d_num + d_cat, width)
        self.body = nn.Sequential(
            nn.SiLU(),
            nn.Linear(width, width),
            nn.SiLU(),
            nn.Linear(width, width),
            nn.SiLU(),
            nn.Linear(width, d_num + d_cat),
        )
        self.width = width

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.body(self.inp(x) + self.time(sinusoid(t, self.width)) + self.label(y))


# ---------------------------------------------------------------------- TabSyn
class _TokenAttention(nn.Module):
    """Post-norm transformer block whose tokens (one per column) all attend to each other."""

    def __init__(self, d_token: int, n_heads: int, hidden: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_token, 3 * d_token)
        self.proj = nn.Linear(d_token, d_token)
        self.ln1, self.ln2 = nn.LayerNorm(d_token), nn.LayerNorm(d_token)
        self.mlp = nn.Sequential(nn.Linear(d_token, hidden), nn.ReLU(), nn.Linear(hidden, d_token))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.n_heads
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in self.qkv(x).split(d, dim=2))
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d)
        x = self.ln1(x + self.proj(y))
        return self.ln2(x + self.mlp(x))


def _token_stack(d_token: int, n_layers: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(*(_TokenAttention(d_token, 1, hidden) for _ in range(n_layers)))


class TabSynEncoder(nn.Module):
    """Columns to tokens (a number ``x`` to ``x w + b``, a category to its embedding plus a
    column bias), then two transformer stacks to each token's latent mean and log-variance."""

    cat_offsets: torch.Tensor  # a buffer: where each column's levels start in the embedding

    def __init__(self, d_num: int, cat_sizes: list[int], d_token: int, n_layers: int, hidden: int) -> None:
        super().__init__()
        self.num_weight = nn.Parameter(torch.zeros(d_num, d_token))
        self.num_bias = nn.Parameter(torch.zeros(d_num, d_token))
        self.cat_embedding = nn.Embedding(max(sum(cat_sizes), 1), d_token)
        self.cat_bias = nn.Parameter(torch.zeros(len(cat_sizes), d_token))
        self.register_buffer("cat_offsets", torch.tensor([0, *cat_sizes[:-1]], dtype=torch.long).cumsum(0))
        self.mu = _token_stack(d_token, n_layers, hidden)
        self.logvar = _token_stack(d_token, n_layers, hidden)

    def tokens(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        parts = [x_num[:, :, None] * self.num_weight[None] + self.num_bias[None]]
        if x_cat.shape[1]:
            parts.append(self.cat_embedding(x_cat + self.cat_offsets[None]) + self.cat_bias[None])
        return torch.cat(parts, dim=1)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tok = self.tokens(x_num, x_cat)
        return self.mu(tok), self.logvar(tok)


class TabSynDecoder(nn.Module):
    """Latent tokens through a transformer stack, then each column's token to its value: a
    number by a dot product with the column's weights, a category by a linear layer to logits."""

    def __init__(self, d_num: int, cat_sizes: list[int], d_token: int, n_layers: int, hidden: int) -> None:
        super().__init__()
        self.d_num = d_num
        self.body = _token_stack(d_token, n_layers, hidden)
        self.num_weight = nn.Parameter(torch.zeros(d_num, d_token))
        self.num_bias = nn.Parameter(torch.zeros(d_num))
        self.cat_heads = nn.ModuleList([nn.Linear(d_token, k) for k in cat_sizes])

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h = self.body(z)
        num = (h[:, : self.d_num] * self.num_weight[None]).sum(dim=2) + self.num_bias[None]
        return num, [head(h[:, self.d_num + i]) for i, head in enumerate(self.cat_heads)]


class LatentDenoiser(nn.Module):
    """The network inside an EDM denoiser (Karras et al. 2022) over flattened latent rows: the
    noisy latent, the embedded noise level and the label's embedding to a correction. It keeps
    the latents' standardisation as buffers so a saved generator carries it."""

    def __init__(self, d_latent: int, n_labels: int, width: int) -> None:
        super().__init__()
        self.register_buffer("latent_mean", torch.zeros(d_latent))
        self.register_buffer("latent_std", torch.ones(d_latent))
        self.width = width
        self.inp = nn.Linear(d_latent, width)
        self.noise = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.label = nn.Embedding(n_labels, width)
        self.body = nn.Sequential(
            nn.Linear(width, 2 * width),
            nn.SiLU(),
            nn.Linear(2 * width, 2 * width),
            nn.SiLU(),
            nn.Linear(2 * width, width),
            nn.SiLU(),
            nn.Linear(width, d_latent),
        )

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.body(self.inp(x) + self.noise(sinusoid(c_noise, self.width)) + self.label(y))


# ---------------------------------------------------------------------- GPT
class _Block(nn.Module):
    """Pre-norm transformer block with causal attention; with a cache, one new position
    attends to every cached one."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.d_model, self.n_heads = d_model, n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.drop1, self.drop2 = LocalDropout(dropout), LocalDropout(dropout)

    def forward(self, x: torch.Tensor, cache: list[Any] | None = None) -> torch.Tensor:
        b, t, _ = x.shape
        d, h = self.d_model, self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            if cache[0] is not None:
                k = torch.cat([cache[0], k], dim=2)
                v = torch.cat([cache[1], v], dim=2)
            cache[0], cache[1] = k, v
            y = F.scaled_dot_product_attention(q, k, v)
        x = x + self.drop1(self.proj(y.transpose(1, 2).reshape(b, t, d)))
        return x + self.drop2(self.mlp(self.ln2(x)))


class GPT(nn.Module):
    """A decoder-only transformer over row tokens, with learned positions and a KV cache."""

    def __init__(self, vocab: int, length: int, d_model: int, n_layers: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(length + 1, d_model)
        self.blocks = nn.ModuleList([_Block(d_model, n_heads, dropout) for _ in range(n_layers)])
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)
        self.drop = LocalDropout(dropout)

    def set_generator(self, generator: torch.Generator) -> None:
        set_dropout_generator(self, generator)

    def forward(self, idx: torch.Tensor, start: int = 0, caches: list[list[Any]] | None = None) -> torch.Tensor:
        pos = torch.arange(start, start + idx.shape[1], device=idx.device)
        x = self.drop(self.tok(idx) + self.pos(pos)[None])
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.head(self.ln(x))

    def initialise(self, seed: int) -> GPT:
        """GPT-2 style initialisation from a local generator."""
        n_layers = len(self.blocks)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if p.dim() >= 2:
                    std = 0.02 / math.sqrt(2 * n_layers) if name.endswith("proj.weight") or "mlp.2" in name else 0.02
                    torch.nn.init.normal_(p, 0.0, std, generator=gen)
                elif name.endswith("bias"):
                    p.zero_()
        return self
