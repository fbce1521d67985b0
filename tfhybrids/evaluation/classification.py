"""Label-based evaluations of what a model learnt: semi-supervised error, clustering error and
linear probes of the encoder's codes.

- `semi_supervised_error`: the test error of a model's classifier q(y|x) (the semi-supervised
  AAE, Makhzani et al. 2016 §5), argmax prediction against the true labels.
- `clustering_error`: the unsupervised clustering evaluation of the AAE paper (§6): "once the
  training is done, for each cluster i, we found the validation example x_n that maximizes
  q(y_i|x_n), and assigned the label of x_n to all the points in the cluster i. We then
  computed the test error based on the assigned class labels to each cluster." Here the
  examples that name the clusters are the ones passed as `train_*`.
- `linear_probe_accuracy`: a multinomial logistic regression (scikit-learn) trained on frozen
  codes of the train split, scored on the test split: how linearly separable the classes are
  in code space (the DCGAN paper's evaluation of features, with a linear classifier).
"""

import numpy as np

from tfhybrids.errors import DataError


def _labels(labels, n=None, what="labels"):
    labels = np.asarray(labels)
    if labels.ndim != 1 or (n is not None and len(labels) != n):
        raise DataError(f"{what}: expected a vector of {n if n is not None else 'n'} integer "
                        f"labels, got shape {labels.shape}.")
    return labels.astype(np.int64)


def _probabilities(probs, what):
    probs = np.asarray(probs, np.float64)
    if probs.ndim != 2 or len(probs) == 0:
        raise DataError(f"{what}: expected class or cluster probabilities [n > 0, k], got shape "
                        f"{probs.shape}.")
    return probs


def classification_error(predicted, labels):
    """Share of predictions that differ from the labels (0 when all are right)."""
    predicted = _labels(predicted, what="predicted")
    labels = _labels(labels, len(predicted))
    if len(labels) == 0:
        raise DataError("classification_error: no examples.")
    return float(np.mean(predicted != labels))


def semi_supervised_error(class_probs, labels):
    """Test error of the classifier q(y|x): argmax over classes against the true labels.

    Args:
        class_probs: array [n, num_classes]. q(y|x) (or logits: only the argmax matters).
        labels: int array [n].
    """
    probs = _probabilities(class_probs, "semi_supervised_error")
    return classification_error(probs.argmax(axis=1), labels)


def cluster_labels(cluster_probs, labels):
    """The label each cluster takes: that of the example maximising q(y_k|x) (AAE paper §6).

    Args:
        cluster_probs: array [n, num_clusters]. q(y_k|x_n) of the labelled examples.
        labels: int array [n]. Their true labels.

    Returns:
        int array [num_clusters].
    """
    probs = _probabilities(cluster_probs, "cluster_labels")
    labels = _labels(labels, len(probs))
    return labels[probs.argmax(axis=0)]


def clustering_error(train_cluster_probs, train_labels, test_cluster_probs, test_labels):
    """The AAE paper's clustering error (§6): clusters named by their most confident train
    example, each test example labelled by its argmax cluster, the error counted on the test set.

    Args:
        train_cluster_probs: array [n, k]. q(y|x) of the examples that name the clusters.
        train_labels: int array [n].
        test_cluster_probs: array [m, k]. q(y|x) of the test examples.
        test_labels: int array [m].

    Returns:
        float, the share of test examples whose cluster's label is wrong.
    """
    names = cluster_labels(train_cluster_probs, train_labels)
    test = _probabilities(test_cluster_probs, "clustering_error")
    if test.shape[1] != len(names):
        raise DataError(f"clustering_error: the train probabilities have {len(names)} clusters "
                        f"but the test ones {test.shape[1]}.")
    return classification_error(names[test.argmax(axis=1)], test_labels)


def linear_probe_accuracy(train_codes, train_labels, test_codes, test_labels, max_iter=1000,
                          regularization=1.0, seed=0):
    """Test accuracy of a logistic-regression classifier trained on frozen codes.

    The codes are standardised with the train statistics first, so the regularisation acts
    the same whatever the code's scale.

    Args:
        train_codes: array [n, d]. train_labels: int array [n].
        test_codes: array [m, d]. test_labels: int array [m].
        max_iter: int. L-BFGS iterations. Defaults to 1000.
        regularization: float. Inverse regularisation strength C. Defaults to 1.0.
        seed: int. Defaults to 0.

    Returns:
        float in [0, 1].
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_codes = np.asarray(train_codes, np.float64).reshape(len(train_codes), -1)
    test_codes = np.asarray(test_codes, np.float64).reshape(len(test_codes), -1)
    train_labels = _labels(train_labels, len(train_codes), "train_labels")
    test_labels = _labels(test_labels, len(test_codes), "test_labels")
    if len(np.unique(train_labels)) < 2:
        raise DataError("linear_probe_accuracy: the train labels need at least 2 classes.")
    probe = make_pipeline(StandardScaler(),
                          LogisticRegression(C=regularization, max_iter=max_iter,
                                             random_state=seed))
    probe.fit(train_codes, train_labels)
    return float(probe.score(test_codes, test_labels))
