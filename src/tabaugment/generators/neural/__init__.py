"""Neural generators on torch: TVAE, CTGAN, CTAB-GAN+, TabDDPM-style diffusion, TabSyn and a
from-scratch GPT.

Importing this package does not import torch; a generator imports it when it is fitted or
loaded. The networks live in :mod:`._networks`, the shared training machinery in
:mod:`._base`, :mod:`._torch` and :mod:`._transform`.
"""
