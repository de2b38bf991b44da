"""Parameter documentation shared by the three estimators.

Each estimator's docstring holds ``{solver_parameters}``, filled from here so
that the twenty solver parameters are described once, not three times.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import re

SOLVER_PARAMETERS = """\
standardize_inputs : bool, default=@standardize_inputs@
        Whether training sees the features standardized: centred and scaled
        to unit variance per feature (sparse features stay sparse: their
        means fold into the first layer; constant features are divided by
        their magnitude). The transform is folded into
        the first layer when training ends, so ``coefs_`` act on the features
        as given and the fitted model does not depend on their units. Set it
        to False to train on the features exactly as given, as scikit-learn's
        MLP does.

    solver : {'sgd', 'adam'}, default=@solver@
        The mini-batch optimizer. 'sgd' is stochastic gradient descent with
        (Nesterov) momentum, the method the maximum-likelihood view derives;
        'adam' is Kingma and Ba's adaptive variant.

    alpha : float, default=@alpha@
        Strength of the L2 penalty on the weights (not the intercepts). The
        objective of a batch is ``(sum_i w_i NLL_i + alpha / 2 * ||W||^2) /
        sum_i w_i``, as in scikit-learn's MLP.

    batch_size : int or 'auto', default=@batch_size@
        Samples per mini-batch; 'auto' is ``min(200, n_samples)``. A batch
        size larger than the data is clipped to it.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default=@learning_rate@
        Step-size schedule for ``solver='sgd'``: constant; divided by
        ``t ** power_t`` after ``t`` samples; or divided by 5 whenever the loss
        stops improving (as scikit-learn's MLP).

    learning_rate_init : float, default=@learning_rate_init@
        The initial step size.

    power_t : float, default=@power_t@
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=@max_iter@
        Maximum number of epochs (passes over the training data).

    shuffle : bool, default=@shuffle@
        Whether to shuffle the samples in every epoch.

    random_state : int, RandomState instance or None, default=@random_state@
        Seeds the initial weights, the early-stopping split and the shuffles.
        An int makes ``fit`` reproducible.

    tol : float, default=@tol@
        Training stops once the loss (or validation score with
        ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` consecutive epochs.

    verbose : bool, default=@verbose@
        Whether to print the loss of every epoch.

    warm_start : bool, default=@warm_start@
        Whether ``fit`` starts from the weights of the previous fit.

    momentum : float, default=@momentum@
        Momentum of ``solver='sgd'``, in [0, 1].

    nesterovs_momentum : bool, default=@nesterovs_momentum@
        Whether ``solver='sgd'`` uses Nesterov's momentum.

    early_stopping : bool, 'auto' or 'refit', default=@early_stopping@
        Whether ``fit`` holds out ``validation_fraction`` of the training
        data, stops when its score (the mean log-likelihood of the held-out
        rows, for every estimator) stops improving, and keeps the weights of
        the best score (the regressor's and classifier's linear start, see
        ``start``, is scored too). 'auto' does so
        when the validation set would hold at least 10 samples (of positive
        ``sample_weight``) and the split can be made (the classifier's is
        stratified: every class needs 2 samples). 'refit' chooses how
        long to train on the held-out rows, then trains on all of them: a
        first run, from the same seed, keeps the weights of the best
        validation score until the score's plateau (where 'auto' stops; none
        when the start scored best) and trains on to the end, as without
        early stopping; where the kept network's validation log-likelihood
        beats the one trained to the end by more than half a standard error
        of the per-row difference, the final fit trains on all the rows for
        the kept number of epochs, otherwise as ``early_stopping=False``.
        ``validation_scores_`` and ``best_validation_score_`` are the first
        run's, the rest the final fit's (from given weights, ``warm_start``
        and ``coefs_init``, it is 'auto'; where 'auto' would hold out no
        rows, the first run trains on all of them and is the fit). When the
        network also predicts the spread ('heteroscedastic_gaussian'), the
        validation set scores (and early stopping keeps) a running average
        of the weights over the last ten epochs or so instead of one epoch's
        weights, which stochastic steps scatter; the average lags the
        weights by nine epochs, so training stops after
        ``n_iter_no_change + 9`` epochs without improvement. The predicted
        spread is finally scaled by the factor that maximises the likelihood
        of the validation rows, if that factor is above 1. ``partial_fit``
        trains on all the data it is given and ignores it.

    validation_fraction : float, default=@validation_fraction@
        Fraction of the training data held out with ``early_stopping``.

    beta_1 : float, default=@beta_1@
        Decay rate of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=@beta_2@
        Decay rate of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=@epsilon@
        Numerical stabiliser of Adam.

    n_iter_no_change : int, default=@n_iter_no_change@
        Epochs without improvement by ``tol`` before training stops (nine
        more when early stopping scores a running average of the weights,
        see ``early_stopping``)."""

TRAINING_ATTRIBUTES = """\
loss_ : float or None
        The last epoch's objective: the mean negative log-likelihood per
        sample, plus the L2 penalty. Gaussian targets are trained standardized
        with a unit noise scale; the loss is reported for the targets as
        given, that is with the noise scale held at the targets' standard
        deviation. None if the user interrupted the first epoch.

    loss_curve_ : list of float
        ``loss_`` after every epoch.

    best_loss_ : float or None
        The smallest ``loss_`` seen; None with ``early_stopping``.

    validation_scores_ : list of float or None
        The validation score after every epoch with ``early_stopping``: the
        mean log-likelihood of the held-out rows (of the running average of
        the weights when the network predicts the spread), whatever the
        estimator, the likelihood it is fitted for, with its constants at
        their training value (the evidence lower bound for a variational
        autoencoder). Higher is better. (scikit-learn's MLP scores R² or
        accuracy; ``score`` still does.)

    best_validation_score_ : float or None
        The held-out log-likelihood of the network that early stopping kept:
        the best of ``validation_scores_``, or the linear start's score
        (``start='linear'``) when no epoch scored better.

    n_iter_ : int
        Number of epochs run by the latest ``fit``; with ``partial_fit``, the
        number of calls since the model was created.

    t_ : int
        Number of training samples seen, over all epochs.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``.
        Views into one flat parameter vector.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``.

    hidden_layer_sizes_ : tuple of int
        ``hidden_layer_sizes`` as fitted: the units of each hidden layer
        given, or the depth that ``'auto'`` chose.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of network outputs.

    out_activation_ : str
        The link from the raw output to the mean of the distribution.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they are all strings."""


AUTO_DEPTH = """\
'auto'
        chooses the depth on early stopping's validation rows: a network of
        ``(100,)`` and one of ``(100, 100)`` are fitted on the same rows, and
        the deeper one is kept only where its validation log-likelihood is
        higher by more than a standard error of the per-row difference (so
        that noise in a small validation set does not choose it). It takes
        two to three times the fit (more where the deeper network trains
        longer); ``hidden_layer_sizes_`` says what was chosen. See
        :ref:`capacity-ablation`."""


def fill_docstring(cls):
    """Class decorator: put the shared parameter text into ``cls.__doc__``.

    Every ``@name@`` marker becomes the default of ``name`` in the class's
    ``__init__``, so the documented defaults cannot drift from the code.
    """
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
    }
    solver_parameters = re.sub(
        r"@(\w+)@", lambda match: repr(defaults[match.group(1)]), SOLVER_PARAMETERS
    )
    cls.__doc__ = (
        cls.__doc__.replace("{solver_parameters}", solver_parameters)
        .replace("{training_attributes}", TRAINING_ATTRIBUTES)
        .replace("{auto_depth}", AUTO_DEPTH)
    )
    return cls
