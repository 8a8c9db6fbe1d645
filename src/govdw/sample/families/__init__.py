"""The five export families (乌海, 乌恰, 海原, 岳阳楼, 岳阳市), each with its own layouts.

One module per family (`<family>_exports`), over the helpers they share in `common`. Each is a
`jobs.Family`: its plan lists the jobs that write its files (see `govdw.sample.jobs`).
"""

from __future__ import annotations

from govdw.sample.families.haiyuan_exports import haiyuan
from govdw.sample.families.wuhai_exports import wuhai
from govdw.sample.families.wuqia_exports import wuqia
from govdw.sample.families.yueyang_exports import yueyang
from govdw.sample.families.yueyanglou_exports import yueyanglou

#: Every family. Each plans its jobs from its own seeded generators, so neither this order nor
#: the order the jobs finish in changes a byte.
FAMILIES = [wuhai, wuqia, haiyuan, yueyanglou, yueyang]

__all__ = ["FAMILIES", "haiyuan", "wuhai", "wuqia", "yueyang", "yueyanglou"]
