"""A LightGBM model compiled to machine code (lleaves), cached per model and CPU.

LightGBM's own ``Booster.predict`` walks the fishing classifier's 300 trees at about
6 µs of CPU a position; on the 5 million-message file that was most of the fishing
stage. `lleaves <https://github.com/siboehm/lleaves>`_ compiles the same model file
with LLVM into native code: 5.6 times less CPU on 600,000 positions of that file, with
probabilities equal to LightGBM's within 1e-15 (the trees' sums are added in another
order; no position changed side of 0.5). Measured in benchmarks/README.md (issue 15,
session 8).

Compiling takes about 7 s of CPU, once per model, CPU and library version: the object
file is kept in the user's cache folder (:func:`forest_cache_dir`) and loaded by later
processes in milliseconds.
:meth:`CompiledForest.compile_in_background` lets a run compile it while it reads its
input. Where lleaves cannot be imported or compiling fails, LightGBM predicts (the same
values within 1e-15) and a warning says why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

__all__ = ["CompiledForest", "forest_cache_dir"]


def forest_cache_dir() -> Path:
    """Where compiled forests are kept: ``forests`` in the user's cache folder of
    vessel-risk (platformdirs; on Linux ``$XDG_CACHE_HOME/vessel-risk``, else
    ``~/.cache/vessel-risk``)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("vessel-risk")) / "forests"


def _threads() -> int:
    """Threads for one prediction: ``OMP_NUM_THREADS`` where set (Dask sets 1 in each
    worker, as LightGBM would use), else every core."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


class CompiledForest:
    """A LightGBM text model, compiled once per process (from the cache when it is there).

    Picklable: a copy sent to another process holds the model text only, and compiles or
    loads its own native code there on first use.

    Parameters
    ----------
    model_text : str
        The model as LightGBM saves it (``Booster.model_to_string()``, ``model.txt``).
    cache_dir : Path, optional
        Default: :func:`forest_cache_dir`.
    """

    def __init__(self, model_text: str, cache_dir: Path | None = None) -> None:
        self.model_text = model_text
        self.cache_dir = cache_dir
        self._setup()

    def _setup(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._failed: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"model_text": self.model_text, "cache_dir": self.cache_dir}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def cache_file(self) -> Path:
        """The object file of this model on this CPU with these library versions.

        Raises
        ------
        ImportError
            If lleaves or llvmlite is not installed.
        """
        from importlib.metadata import version

        import llvmlite.binding as llvm

        cpu = llvm.get_host_cpu_name() + ";" + llvm.get_host_cpu_features().flatten()
        versions = [version("lleaves"), version("llvmlite")]
        text = "\n".join([self.model_text, cpu, *versions])
        key = hashlib.sha256(text.encode()).hexdigest()[:24]
        return (self.cache_dir or forest_cache_dir()) / f"forest-{key}.o"

    def _compile(self) -> Any:
        """The lleaves model, loaded from the cache or compiled into it; None (and a
        warning, once) where that fails."""
        with self._lock:
            if self._model is not None or self._failed is not None:
                return self._model
            try:
                import lleaves

                cached = self.cache_file()
                with tempfile.TemporaryDirectory(prefix="vessel-risk-forest-") as tmp:
                    text = Path(tmp) / "model.txt"
                    text.write_text(self.model_text, encoding="utf-8")
                    model = lleaves.Model(model_file=str(text))
                    if cached.is_file():
                        model.compile(cache=str(cached))
                    else:
                        # Compiled to a name of its own, then renamed: processes
                        # compiling at once never read a half-written file.
                        own = Path(tmp) / cached.name
                        model.compile(cache=str(own))
                        try:
                            cached.parent.mkdir(parents=True, exist_ok=True)
                            os.replace(own, cached)
                        except OSError as exc:  # a read-only home: compiled each time
                            log.info("compiled forest not cached at %s: %s", cached, exc)
                self._model = model
            except Exception as exc:
                self._failed = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "The fishing classifier could not be compiled with lleaves (%s); "
                    "LightGBM predicts instead (same probabilities within 1e-15, slower).",
                    self._failed,
                )
            return self._model

    def compile_in_background(self) -> threading.Thread:
        """Load or compile on a daemon thread (LLVM runs outside the GIL), so a run
        reads its input meanwhile; :meth:`predict` waits for it.

        Returns
        -------
        threading.Thread
        """
        thread = threading.Thread(target=self._compile, name="vessel-risk-forest", daemon=True)
        thread.start()
        return thread

    def ready(self) -> bool:
        """Load or compile now (waiting for a compile on a thread); whether it worked."""
        return self._compile() is not None

    def predict(self, X: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
        """Probabilities of the positive class, one per row of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,), or None
            None where the forest cannot be compiled here (the caller predicts with
            LightGBM).
        """
        model = self._compile()
        if model is None:
            return None
        data = np.ascontiguousarray(X, dtype="float64")
        return np.asarray(model.predict(data, n_jobs=_threads()), dtype="float64")
