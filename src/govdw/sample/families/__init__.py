"""The five export families (乌海, 乌恰, 海原, 岳阳楼, 岳阳市), each with its own layouts.

One module per family (`<family>_exports`), over the helpers they share in `common`.
"""

from __future__ import annotations

from govdw.sample.families.haiyuan_exports import haiyuan
from govdw.sample.families.wuhai_exports import wuhai
from govdw.sample.families.wuqia_exports import wuqia
from govdw.sample.families.yueyang_exports import yueyang
from govdw.sample.families.yueyanglou_exports import yueyanglou

#: Every family, in the order `govdw sample` writes them (the order is part of the output).
FAMILIES = [wuhai, wuqia, haiyuan, yueyanglou, yueyang]

__all__ = ["FAMILIES", "haiyuan", "wuhai", "wuqia", "yueyang", "yueyanglou"]
