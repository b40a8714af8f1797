"""CTAB-GAN+ (Zhao et al. 2022): CTGAN's conditional GAN with convolutional networks, a
mixed-type encoder and two more generator losses.

What it keeps from CTGAN (:mod:`._ctgan`): the conditional vector over every categorical
column, training-by-sampling, the conditional cross-entropy, the Wasserstein loss with
gradient penalty. What it adds, from the paper:

- **Mixed-type encoder**: a value holding at least ``point_mass`` of a numerical column (a
  zero capital gain, a round amount) is a mode of its own and comes back exactly; the
  Gaussian mixture models the rest (:class:`._transform.TableTransformer`).
- **Convolutional networks**: a row (and, for the critic, its conditional vector) is laid out
  as a zero-padded square image; the generator grows it from a 1x1 image of noise and
  condition by transposed convolutions, the critic shrinks it by strided ones (DCGAN's
  layout). The critic is layer-normalised, as the gradient penalty requires, and has no packs.
- **Information loss**: the distance between the mean and between the standard deviation of
  the critic's features on a batch of generated rows and on real rows with the same
  conditions (weight ``info_weight``).
- **Auxiliary classifier**: an MLP trained on real rows to predict the label from the other
  columns; the generator pays its cross-entropy on generated rows against the label they
  carry (weight ``classifier_weight``), which ties the label to the features. The paper's
  regressor for numeric targets does not arise: tabaugment's targets are labels.

Not here: the paper's log transform of long-tailed columns (the mixture's modes cover them)
and its differentially private training.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import DataError
from tabaugment.generators.neural._ctgan import CTGAN
from tabaugment.generators.neural._torch import init_weights, torch_module
from tabaugment.params import Constraints, non_negative, positive

__all__ = ["CTABGANPlus"]


class CTABGANPlus(CTGAN):
    """CTAB-GAN+ (torch; the ``torch`` extra).

    Parameters
    ----------
    epochs : passes over the fitted rows (150).
    batch_size : rows per step; by default adapted to the data.
    channels : channels of the first convolution, doubled at each later one (16, sized for a
        CPU; 64 in the paper).
    noise_dim : noise size (100).
    classifier_width : width of the auxiliary classifier's two hidden layers (256).
    point_mass : share of a numerical column's values from which one value is encoded exactly
        (0.05); ``None`` turns the mixed-type encoder off.
    free_sampling : as for :class:`~tabaugment.generators.CTGAN`; ``"label"`` by default here
        (every row asked for without conditions is conditioned on its label), the setting
        CTAB-GAN+ was measured in; ``"columns"`` draws as in training.
    info_weight, classifier_weight : weights of the information and classifier losses (1, 1).
    generator_lr, discriminator_lr, weight_decay : Adam settings (2e-4, 2e-4, 1e-5).
    discriminator_steps, gradient_penalty : as for :class:`~tabaugment.generators.CTGAN`.
    early_stopping, check_every, patience : as for :class:`~tabaugment.generators.CTGAN`
        (off by default).
    device, n_threads, random_state, progress : as for :class:`~tabaugment.generators.TVAE`.
    """

    name = "ctabgan_plus"
    _modules: ClassVar[tuple[str, ...]] = ("generator", "discriminator", "classifier")
    _classifier_opt: tuple[Any, Any]  # the classifier and its optimiser, while training
    _parameter_constraints: ClassVar[Constraints] = {
        "channels": [positive(numbers.Integral)],
        "classifier_width": [positive(numbers.Integral)],
        "info_weight": [non_negative()],
        "classifier_weight": [non_negative()],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"epochs": 1, "channels": 8, "classifier_width": 16}

    def __init__(
        self,
        *,
        epochs: int = 150,
        batch_size: int | None = None,
        channels: int = 16,
        noise_dim: int = 100,
        classifier_width: int = 256,
        point_mass: float | None = 0.05,
        free_sampling: str = "label",
        info_weight: float = 1.0,
        classifier_weight: float = 1.0,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        weight_decay: float = 1e-5,
        discriminator_steps: int = 1,
        gradient_penalty: float = 10.0,
        early_stopping: bool = False,
        check_every: int = 5,
        patience: int = 6,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.channels = channels
        self.noise_dim = noise_dim
        self.classifier_width = classifier_width
        self.point_mass = point_mass
        self.free_sampling = free_sampling
        self.info_weight = info_weight
        self.classifier_weight = classifier_weight
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.weight_decay = weight_decay
        self.discriminator_steps = discriminator_steps
        self.gradient_penalty = gradient_penalty
        self.early_stopping = early_stopping
        self.check_every = check_every
        self.patience = patience
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress

    def _pack_size(self, n: int) -> int:
        return 1

    @staticmethod
    def _side(d: int) -> int:
        from tabaugment.generators.neural._networks import IMAGE_SIDES

        for side in IMAGE_SIDES:
            if side * side >= d:
                return side
        raise DataError(
            f"CTAB-GAN+ lays a row out as a square image of at most {IMAGE_SIDES[-1]}x{IMAGE_SIDES[-1]} values; "
            f"this table encodes to {d}. Drop or group high-cardinality columns, or use ctgan or tvae."
        )

    def _feature_columns(self) -> np.ndarray:
        """Transformed columns other than the label's one-hot block."""
        span = self.transformer_.category_span(self.label_index)
        d = self.transformer_.output_dim_
        return np.r_[0 : span.start, span.start + span.width : d].astype(np.int64)

    def _build_modules(self, seed: int) -> dict[str, Any]:
        from tabaugment.generators.neural._networks import CTABGANDiscriminator, CTABGANGenerator, LabelClassifier

        torch = torch_module()
        d_data = self.transformer_.output_dim_
        d_cond = sum(s.width for s in self._cond_layout())
        n_labels = self.transformer_.category_span(self.label_index).width
        gen = torch.Generator().manual_seed(seed)
        channels = int(self.channels)
        mods = {
            "generator": CTABGANGenerator(self.noise_dim + d_cond, d_data, self._side(d_data), channels),
            "discriminator": CTABGANDiscriminator(d_data + d_cond, self._side(d_data + d_cond), channels),
            "classifier": LabelClassifier(len(self._feature_columns()), n_labels, int(self.classifier_width)),
        }
        for m in mods.values():
            init_weights(m, gen)
        return mods

    def _extra_generator_loss(self, torch: Any, mods: dict[str, Any], fake_in: Any, real: Any) -> Any:
        F = torch.nn.functional
        D, C = mods["discriminator"], mods["classifier"]
        span = self.transformer_.category_span(self.label_index)
        feats = torch.as_tensor(self._feature_columns(), device=fake_in.device)
        labels = slice(span.start, span.start + span.width)
        # the classifier learns from real rows, then judges the generated ones
        if not hasattr(self, "_classifier_opt") or self._classifier_opt[0] is not C:
            C.to(fake_in.device)
            opt = torch.optim.Adam(
                C.parameters(), lr=self.generator_lr, betas=(0.5, 0.9), weight_decay=self.weight_decay
            )
            self._classifier_opt = (C, opt)
        opt = self._classifier_opt[1]
        real_in = real().detach()
        loss_c = F.cross_entropy(C(real_in[:, feats]), real_in[:, labels].argmax(dim=1))
        opt.zero_grad()
        loss_c.backward()
        opt.step()
        loss = self.classifier_weight * F.cross_entropy(C(fake_in[:, feats]), fake_in[:, labels].argmax(dim=1).detach())
        # the information loss: first and second moments of the critic's features
        f_fake, f_real = D.features(fake_in).flatten(1), D.features(real_in).flatten(1).detach()
        info = (f_fake.mean(0) - f_real.mean(0)).norm() + (f_fake.std(0) - f_real.std(0)).norm()
        return loss + self.info_weight * info

    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        try:
            super()._train(num, codes, seed)
        finally:
            self.__dict__.pop("_classifier_opt", None)
        self.modules_["classifier"].eval()
