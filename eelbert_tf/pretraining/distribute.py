"""Pretraining under `tf.distribute`: one process, several GPUs, several workers, or a TPU.

TensorFlow's own strategies do the distributed work (replicated variables, the gradient
all-reduce, the cluster from `TF_CONFIG`); Keras 3 trains under them with `model.fit`. What this
module adds is what our run needs on top:

- `make_strategy(name)`: `"default"` (one process, no strategy), `"mirrored"` (every GPU of this
  machine, or its CPU), `"multi-worker"` (`MultiWorkerMirroredStrategy`, the cluster and this
  worker's place in it from `TF_CONFIG`, checked before anything starts), `"tpu"` (`TPUStrategy`
  on the TPU the environment names). Bad settings raise `DistributeError` with one line naming
  the setting and what was expected.
- `distributed_dataset`: the global batch is the one the user set; each input pipeline (one per
  worker) keeps its workers' rows of every global batch, after masking, so the replicas together
  train on exactly the batches (and masks) of a single-process run, and no sequence is seen twice
  or skipped. Each worker reads the global batch's rows from the token cache (a memory map, read
  at millions of tokens per second) and keeps its share; masking the whole batch is what makes
  the masks independent of the number of workers.
- `ClippedAdamW`: Keras 3 clips each replica's gradients *before* the all-reduce (the TensorFlow
  optimizer's `_backend_apply_gradients` clips, then `_backend_update_step` sums), so `clipnorm`
  under a strategy would bound each replica's share rather than the gradient of the global batch.
  This AdamW sums the replicas' gradients first, then clips and applies them: with one replica it
  is Keras's AdamW exactly.
- `keras_multi_worker_fixes`: two steps of Keras 3.15's `fit` that fail under
  `MultiWorkerMirroredStrategy` (tensorflow/tensorflow#72388, closed unfixed), worked around on
  the model instance (module docstring of the function).
- `is_chief`: the one process that writes checkpoints, logs and the record.
"""

from __future__ import annotations

import json
import os
import socket
import time

STRATEGIES = ("default", "mirrored", "multi-worker", "tpu")


class DistributeError(ValueError):
    """A distribution setting that cannot work; the message names it and what was expected."""


def parse_tf_config(text: str | None) -> dict:
    """The `TF_CONFIG` of a multi-worker run, checked: a cluster of `worker` (and optionally one
    `chief`) addresses `host:port`, and this process's `task` `{type, index}` within it."""
    if not text:
        raise DistributeError("--strategy multi-worker needs TF_CONFIG (JSON with \"cluster\" and \"task\"); "
                              "it is not set.")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise DistributeError(f"TF_CONFIG is not valid JSON ({error.msg} at character {error.pos}).") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict):
        raise DistributeError("TF_CONFIG: expected an object with \"cluster\" ({\"worker\": [\"host:port\", ...]}) "
                              "and \"task\" ({\"type\": \"worker\", \"index\": 0}).")
    cluster = config["cluster"]
    unknown = sorted(set(cluster) - {"worker", "chief"})
    if unknown:
        raise DistributeError(f"TF_CONFIG cluster: unexpected job {unknown[0]!r}; expected \"worker\" "
                              "(and optionally one \"chief\").")
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses or (job == "chief" and len(addresses) != 1):
            raise DistributeError(f"TF_CONFIG cluster.{job}: expected a list of \"host:port\" addresses"
                                  f"{' (exactly one)' if job == 'chief' else ''}; got {addresses!r}.")
        for address in addresses:
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise DistributeError(f"TF_CONFIG cluster.{job}: {address!r} is not \"host:port\".")
    if "worker" not in cluster:
        raise DistributeError("TF_CONFIG cluster: expected a \"worker\" list.")
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster or not isinstance(task.get("index"), int) \
            or not 0 <= task["index"] < len(cluster[task["type"]]):
        raise DistributeError(f"TF_CONFIG task: expected {{\"type\": one of {sorted(cluster)}, \"index\": a position "
                              f"in that list}}; got {task!r}.")
    return config


def _wait_for(own: str, addresses: list[str], timeout: float):
    """Returns when every `host:port` in `addresses` accepts a TCP connection; raises naming the first
    that did not within `timeout` seconds. Meanwhile this worker answers on its own address, so that
    the others see it before any gRPC server exists: the check needs no TensorFlow server, and a
    failed one leaves none running (a started collective server keeps the process from exiting)."""
    host, _, port = own.rpartition(":")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("" if host in ("localhost", "127.0.0.1") else host, int(port)))
        listener.listen(16)
    except OSError as error:
        listener.close()
        raise DistributeError(f"TF_CONFIG: this worker's address {own} cannot be used ({error.strerror}).") from None
    deadline = time.time() + timeout
    try:
        for address in addresses:
            host, _, port = address.rpartition(":")
            while True:
                try:
                    with socket.create_connection((host, int(port)), timeout=2):
                        break
                except OSError:
                    if time.time() > deadline:
                        raise DistributeError(f"Worker {address} (TF_CONFIG) could not be reached within "
                                              f"{timeout:g} s (--worker-timeout): is it running?") from None
                    time.sleep(0.2)
        time.sleep(1.0)  # let the others' checks see this worker before it stops answering
    finally:
        listener.close()


def free_local_ports(n: int) -> list[int]:
    """`n` TCP ports free on 127.0.0.1 now: for a TF_CONFIG of workers on this machine (the tests, the
    benchmark, trying multi-worker training locally)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def local_tf_config(ports: list[int], index: int) -> str:
    """The TF_CONFIG of worker `index` of a cluster of workers on 127.0.0.1 at `ports`."""
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def make_strategy(name: str, worker_timeout: float = 120.0):
    """The `tf.distribute` strategy called `name` (see the module docstring)."""
    import tensorflow as tf

    if name not in STRATEGIES:
        raise DistributeError(f"--strategy {name!r}: expected one of {', '.join(STRATEGIES)}.")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as error:
            raise DistributeError(f"--strategy tpu: no TPU found ({str(error).splitlines()[0]}); run on a Cloud "
                                  "TPU VM, or choose another --strategy.") from None
        return tf.distribute.TPUStrategy(resolver)
    config = parse_tf_config(os.environ.get("TF_CONFIG"))
    task = config["task"]
    own = config["cluster"][task["type"]][task["index"]]
    _wait_for(own, [a for job in sorted(config["cluster"]) for a in config["cluster"][job] if a != own],
              worker_timeout)
    _configure_coordination(config["cluster"], worker_timeout)
    return tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(timeout_seconds=worker_timeout))


def _configure_coordination(cluster: dict, worker_timeout: float):
    """Sets up TensorFlow's coordination service as `MultiWorkerMirroredStrategy` would (leader: the
    chief, else worker 0; every chief and worker task coordinated), but with the heartbeat timeout
    equal to `--worker-timeout`. The strategy's own setup keeps TensorFlow's default of 10 s, and on a
    loaded machine (two workers and other work on 2 cores) a worker whose heartbeat thread is starved
    that long is declared dead and the run aborts ("heartbeat timeout", seen once in CI). The strategy
    leaves a service already configured as it is."""
    from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2  # where the strategy imports it
    from tensorflow.python.eager import context

    jobs = [job for job in ("chief", "worker") if job in cluster]
    context.context().configure_coordination_service(
        service_type="standalone",
        service_leader=f"/job:{jobs[0]}/replica:0/task:0",
        heartbeat_timeout_in_ms=int(worker_timeout * 1000),
        coordinated_jobs=[coordination_config_pb2.CoordinatedJob(name=job, num_tasks=len(cluster[job]))
                          for job in jobs])


def is_chief(strategy) -> bool:
    """Whether this process writes (checkpoints, logs, the record): the only process without a
    cluster, else the `chief` task, else worker 0."""
    resolver = getattr(strategy, "cluster_resolver", None)
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not spec or resolver.task_type is None:
        return True
    if "chief" in spec:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0


def check_global_batch(batch_size: int, strategy):
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise DistributeError(f"--batch-size {batch_size} is the global batch and must be divisible by the "
                              f"{replicas} replicas of the strategy (e.g. {batch_size - batch_size % replicas or replicas}).")


def distributed_dataset(strategy, make_dataset, batch_size: int):
    """Per-replica batches for `model.fit`: `make_dataset(rows=(lo, hi))` must return a dataset of
    global batches cut to rows `lo:hi` (`pipeline.training_dataset`). Under the default strategy
    the dataset itself."""
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    if replicas == 1 and not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return make_dataset(rows=None)
    per_replica = batch_size // replicas

    def per_pipeline(context):
        local = replicas // context.num_input_pipelines  # the replicas this pipeline feeds
        lo = context.input_pipeline_id * local * per_replica
        dataset = make_dataset(rows=(lo, lo + local * per_replica))
        return dataset.rebatch(per_replica) if local > 1 else dataset

    return strategy.distribute_datasets_from_function(per_pipeline)


def clipped_adamw(**kwargs):
    """`keras.optimizers.AdamW` whose `clipnorm` clips the all-reduced gradient (module docstring)."""
    import keras
    import tensorflow as tf

    class ClippedAdamW(keras.optimizers.AdamW):
        def _clip_gradients(self, grads):
            context = tf.distribute.get_replica_context()
            if context is not None and context.num_replicas_in_sync > 1 and self.clipnorm is not None:
                present = [i for i, g in enumerate(grads) if g is not None]
                summed = context.all_reduce(tf.distribute.ReduceOp.SUM, [grads[i] for i in present])
                grads = list(grads)
                for i, g in zip(present, summed):
                    grads[i] = g
                self._summed_already = True
            return super()._clip_gradients(grads)

        def _all_reduce_sum_gradients(self, grads_and_vars):
            if getattr(self, "_summed_already", False):
                self._summed_already = False
                return list(grads_and_vars)
            return super()._all_reduce_sum_gradients(grads_and_vars)

    return ClippedAdamW(**kwargs)


def keras_multi_worker_fixes(model, data_batch):
    """Lets Keras 3.15 `fit` run under a distributed dataset (multi-worker or several replicas).

    1. Before training, `fit` builds the loss and metrics from the iterator's first batch, which it
       first averages across replicas (`strategy.reduce("MEAN", batch)`): a collective over the whole
       batch that fails on string tokens. The model is built here from one local batch `data_batch`
       (same shapes) and that step is skipped.
    2. After each step, `fit` averages the per-replica logs with `strategy.reduce("MEAN", v, axis=0)`
       under `MultiWorkerMirroredStrategy`, which fails on scalar logs ("Invalid reduction dimension 0
       for input with 0 dimensions", tensorflow/tensorflow#72388). The train step here returns each
       log as a one-element vector, so that reduction is the mean over replicas it was meant to be.
    """
    import tensorflow as tf

    with model.distribute_strategy.scope():
        model._symbolic_build(data_batch=data_batch)
    model._maybe_symbolic_build = lambda *args, **kwargs: None
    train_step = model.train_step

    def vector_logs_train_step(data):
        return {name: tf.reshape(value, [1]) for name, value in train_step(data).items()}

    if isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        model.train_step = vector_logs_train_step
