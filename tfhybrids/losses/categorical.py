"""Losses of the adversarial autoencoders with a categorical code (Makhzani et al. 2016,
arXiv 1511.05644, §5-§7).

- `categorical_cross_entropy`: the semi-supervised classification phase (§5), the
  cross-entropy of q(y|x) on a labelled mini-batch, one value per example.
- `cluster_head_penalty`: the dimensionality-reduction AAE's cost on its cluster heads (§7):
  zero for two heads at least a threshold eta apart, growing linearly as they come closer.
"""

import tensorflow as tf

from tfhybrids.losses.precision import loss_precision


def categorical_cross_entropy(labels, logits):
    """-log softmax(logits)[label], per example.

    Args:
        labels: int tensor [batch]. Class indices in [0, num_classes).
        logits: float tensor [batch, num_classes]. Unnormalised log-probabilities of q(y|x).

    Returns:
        float tensor [batch], in nats.
    """
    (logits,) = loss_precision(logits)
    labels = tf.cast(labels, tf.int32)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def cluster_head_penalty(heads, threshold):
    """sum_{i<j} max(0, threshold - ||w_i - w_j||): the cluster-head cost of §7.

    The paper: "if the Euclidean distance [between two cluster heads] is larger than a
    threshold eta, the cost function is zero, and if it is smaller than eta, the cost function
    linearly penalizes the distance." It is a cost on parameters, not on examples, so it
    returns one scalar. The distance is taken as sqrt(max(d^2, 1e-12)), so two heads that
    coincide (e.g. equal initial values) still get a finite gradient.

    Args:
        heads: float tensor [num_clusters, dim]. The rows w_i of the cluster-head matrix W.
        threshold: float > 0. eta.

    Returns:
        float scalar tensor.
    """
    (heads,) = loss_precision(heads)
    squared = tf.reduce_sum(tf.square(heads[:, None, :] - heads[None, :, :]), axis=-1)
    distances = tf.sqrt(tf.maximum(squared, tf.cast(1e-12, heads.dtype)))
    hinge = tf.nn.relu(tf.cast(threshold, heads.dtype) - distances)
    # Each pair appears twice in the symmetric matrix, and the diagonal (i == j) is left out.
    upper = tf.linalg.band_part(tf.ones_like(hinge), 0, -1) - tf.eye(tf.shape(heads)[0],
                                                                    dtype=heads.dtype)
    return tf.reduce_sum(hinge * upper)
