"""DataLoader: batches from a dataset, in the main process (num_workers is accepted and
ignored: the engine runs in one process)."""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from ... import _creation
from ... import _dtype as dt
from ..._ops.shape import Stack
from ..._tensor import Tensor
from . import _random
from .dataset import TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def default_collate(batch):
    """Stack a list of samples into a batch, structure by structure, as torch does:
    tensors stack, numbers become a tensor, tuples become lists of collated fields."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Stack.call(batch, 0)
    if isinstance(elem, np.ndarray):
        return Stack.call([_creation.as_tensor(b) for b in batch], 0)
    if isinstance(elem, np.generic):
        return _creation.as_tensor(np.array(batch))
    if isinstance(elem, bool):
        return _creation.tensor(batch)
    if isinstance(elem, float):
        return _creation.tensor(batch, dtype=dt.float64)
    if isinstance(elem, int):
        return _creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    if isinstance(elem, numbers.Number):
        return _creation.tensor(batch)
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem)}"
    )


class DataLoader:
    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self.collate_fn = (
            collate_fn
            if collate_fn is not None
            else (default_collate if batch_sampler is not None else _convert)
        )
        self.timeout = timeout
        self.pin_memory = pin_memory

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __iter__(self):
        indices = iter(self._index_sampler)
        # torch draws a base seed for its workers when a pass starts, workers or not;
        # drawing it too keeps the global stream in step with torch's.
        _random.draw_seed(self.generator)
        return map(self._fetcher(), indices)

    def _fetcher(self):
        dataset, collate = self.dataset, self.collate_fn
        if self.batch_sampler is None:
            return lambda i: collate(dataset[i])
        if (
            type(dataset) is TensorDataset
            and collate is default_collate
            and not any(t.requires_grad for t in dataset.tensors)
        ):
            # Same batch as stacking dataset[i] row by row, in one numpy gather per tensor.
            tensors = dataset.tensors

            def gather(index: list[int]) -> list[Tensor]:
                rows = np.asarray(index, dtype=np.intp)
                return [_creation._finish(t._data[rows], t._dtype, False, "stack") for t in tensors]

            return gather
        getitems = getattr(dataset, "__getitems__", None)
        if callable(getitems):
            return lambda index: collate(getitems(index))
        return lambda index: collate([dataset[i] for i in index])


def _convert(data):
    """default_convert: numpy arrays become tensors, anything else stays as it is."""
    if isinstance(data, np.ndarray):
        return _creation.as_tensor(data)
    return data
