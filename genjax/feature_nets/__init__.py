"""Pretrained feature networks the metrics read images and molecules through: the FID
Inception (`inception.py`, its weights converted from PyTorch by `inception_weights.py`) and
ChemNet (`chemnet.py`, `chemnet_weights.py`, for FCD of molecules); `weight_files.py` is what
both converters share. The metric maths itself is in `genjax.metrics`."""
