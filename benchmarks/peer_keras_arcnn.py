"""DeepComposer's AR-CNN in Keras 3 (TensorFlow backend): the peer that `train_throughput.py --peer` times.

    .cache/peer-venv/bin/python benchmarks/peer_keras_arcnn.py --threads 2
    (stdin: one line per request, `fp32`, `bf16` or `quit`)

Rebuilt from the published description (aws-deepcomposer-samples, `ar-cnn/model.py` and
`losses.py`), at the reference size our `arcnn-ref` row has: a (128, 128, 1) piano roll, 5 encoder
levels of 32-512 filters (two 3 x 3 ReLU convs, kept for the skip, then 2 x 2 max pooling, dropout
0.5 on all levels but the first, batch norm on all but the deepest), a bottleneck of two
1024-filter convs, a decoder that mirrors it (2 x nearest upsampling, concatenation with the skip,
batch norm on all levels but the last, two convs, dropout 0.5 on all levels but the last) and a
1 x 1 conv to one logit per pixel. Loss as the reference's `built_in_softmax_kl_loss`: one softmax
over every pixel of the flattened batch, KL divergence from the target normalised to sum to 1.
Adam at 1e-3 as ours. Its trainable parameters are exactly our ArcnnNet's (31,448,833): the
placement of batch norm and dropout is the reference's flags, as in ours; batch norm's moving
statistics are Keras weights too but not trained, so `params` counts trainable weights only.

For every request line the worker builds the model for that precision once (`bf16`: Keras's
`mixed_bfloat16` policy, whose layers compute in bfloat16 and keep float32 weights, as torch's
autocast), runs one untimed `train_on_batch` (tracing the first time, warming caches after the
caller's own work on the same cores otherwise) and one timed one on a fixed seeded random batch of
32 rolls, and prints one JSON line {"precision", "seconds", "cpu_seconds", "params"}. XLA stays
off: Keras's `jit_compile="auto"` turns it off on CPU-only machines, so this is the code as users
run it. Threads are set before TensorFlow starts (intra-op N, inter-op 1), as torch's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

BATCH, STEPS, PITCHES = 32, 128, 128
DEPTH, BASE_FILTERS, DROPOUT = 5, 32, 0.5
PRECISIONS = {"fp32": "float32", "bf16": "mixed_bfloat16"}


def build(keras, policy: str):
    """The reference U-Net under the given dtype policy, compiled with its loss and Adam."""
    from keras import layers, ops

    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)

    def convs(x, filters: int):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)

    roll = keras.Input((STEPS, PITCHES, 1))
    x, skips = roll, []
    for level in range(DEPTH):
        skip = convs(x, BASE_FILTERS * 2**level)
        skips.append(skip)
        x = layers.MaxPooling2D(2)(skip)
        if level > 0:
            x = layers.Dropout(DROPOUT)(x)
        if level < DEPTH - 1:
            x = layers.BatchNormalization()(x)
    x = convs(x, BASE_FILTERS * 2**DEPTH)
    for level in reversed(range(DEPTH)):
        x = layers.Concatenate()([layers.UpSampling2D(2)(x), skips[level]])
        if level > 0:
            x = layers.BatchNormalization()(x)
        x = convs(x, BASE_FILTERS * 2**level)
        if level > 0:
            x = layers.Dropout(DROPOUT)(x)
    # The logits in float32, as Keras's mixed-precision guide asks of a model's outputs.
    logits = layers.Conv2D(1, 1, dtype="float32")(x)
    model = keras.Model(roll, logits)

    def softmax_kl_loss(target, output):
        target = ops.reshape(ops.cast(target, "float32"), (-1,))
        target = target / ops.sum(target)
        return keras.losses.kl_divergence(target, ops.softmax(ops.reshape(output, (-1,))))

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=softmax_kl_loss)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    import tensorflow as tf

    # Before any op runs: TensorFlow fixes its thread pools when its runtime starts.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    rng = np.random.default_rng(0)
    # A corrupted roll (about 4 % of pixels on) and the pixels to edit (about 1.5 %), as training sees.
    rolls = (rng.random((BATCH, STEPS, PITCHES, 1)) < 0.04).astype("float32")
    targets = (rng.random((BATCH, STEPS, PITCHES, 1)) < 0.015).astype("float32")
    models = {}
    for line in sys.stdin:
        request = line.strip()
        if request == "quit":
            break
        if request not in PRECISIONS:
            print(f"peer_keras_arcnn: unknown request {request!r}", file=sys.stderr, flush=True)
            sys.exit(2)
        if request not in models:
            models[request] = build(keras, PRECISIONS[request])
        model = models[request]
        model.train_on_batch(rolls, targets)
        wall, cpu = time.perf_counter(), time.process_time()
        model.train_on_batch(rolls, targets)
        seconds, cpu_seconds = time.perf_counter() - wall, (time.process_time() - cpu) / args.threads
        params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        reply = {"precision": request, "seconds": seconds, "cpu_seconds": cpu_seconds, "params": params}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
