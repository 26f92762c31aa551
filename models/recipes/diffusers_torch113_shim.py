"""Lets check_flops_sd15.py import diffusers' UNet2DConditionModel under Debian's torch 1.13.

Modern diffusers wants torch 2: it names float8/uint dtypes and torch.distributed.device_mesh at
import time, and its package __init__ files import every model family (and peft loaders). This
module gives torch 1.13 placeholders for those names and registers bare diffusers.models,
.models.transformers, .models.unets and .loaders packages (their folders, without running their
__init__), with empty stand-ins for the loader mixins the UNet class inherits. Import it before
diffusers' UNet. Only for counting FLOPs of a random-weight UNet; nothing else is supported.
"""
import os
import sys
import types

import torch
import torch.distributed as _dist

for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2",
              "uint16", "uint32", "uint64", *(f"int{i}" for i in range(1, 8)), *(f"uint{i}" for i in range(1, 8))):
    if not hasattr(torch, _name):
        setattr(torch, _name, torch.float16)

if not hasattr(_dist, "device_mesh"):
    _dm = types.ModuleType("torch.distributed.device_mesh")
    _dm.DeviceMesh = type("DeviceMesh", (), {})
    _dist.device_mesh = _dm
    sys.modules["torch.distributed.device_mesh"] = _dm

import diffusers  # noqa: E402

_ROOT = os.path.dirname(diffusers.__file__)


def _bare_package(name, folder):
    if name not in sys.modules:
        m = types.ModuleType(name)
        m.__path__ = [folder]
        m.__package__ = name
        sys.modules[name] = m
    return sys.modules[name]


for _sub in ("models", "models/transformers", "models/unets", "loaders"):
    _bare_package("diffusers." + _sub.replace("/", "."), os.path.join(_ROOT, _sub))

_loaders = sys.modules["diffusers.loaders"]
for _mixin in ("PeftAdapterMixin", "UNet2DConditionLoadersMixin"):
    setattr(_loaders, _mixin, type(_mixin, (), {}))
_single = types.ModuleType("diffusers.loaders.single_file_model")
_single.FromOriginalModelMixin = type("FromOriginalModelMixin", (), {})
sys.modules["diffusers.loaders.single_file_model"] = _single
