"""Reference data for tests/codegen/c5w1a1_test.cpp: C5W1A1 ("Building a recurrent neural
network step by step") in numpy float64, written from the assignment's equations, in its
layouts (x (n_x, m, T_x), a (n_a, m, T_x), W (rows, columns) as the course writes them).

  rnn_cell_forward   a_next = tanh(Waa a_prev + Wax x_t + ba), y_t = softmax(Wya a_next + by)
  rnn_forward        the cell over T_x steps from a0
  rnn_cell_backward  dtanh = (1 - a_next^2) da_next; dx_t = Wax^T dtanh, da_prev = Waa^T dtanh,
                     dWax = dtanh x_t^T, dWaa = dtanh a_prev^T, dba = sum over samples
  rnn_backward       the cell's backward over the steps in reverse, da_prev carried, da0 last
  lstm_cell_forward  concat = [a_prev; x_t]; f, i, o = sigmoid(W_ concat + b_),
                     cct = tanh(Wc concat + bc); c_next = f c_prev + i cct; a_next = o tanh(c_next)
  lstm_forward       the cell over T_x steps from a0 and c0 = 0

The upstream gradients come from the loss kiln's test networks end in: softmax cross-entropy
of y against one-hot labels Y, the mean over the m samples (a cell) or the m T_x steps (a
sequence): dz = (y - Y) / count, dWya = dz a^T, dby = sum dz, da = Wya^T dz.

Usage: /usr/bin/python3 c5w1a1_ref.py OUT_DIR   (writes the .npy files of tests/data/c5w1a1)
The course's shapes: n_x 3, n_a 5, n_y 2, m 10, T_x 4; np.random.seed(1) and randn, as the
notebook's tests draw them (the values differ from the notebook's: the order of draws does).
"""
import os
import sys

import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rnn_cell_forward(xt, a_prev, p):
    a_next = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"])
    yt = softmax(p["Wya"] @ a_next + p["by"])
    return a_next, yt, (a_next, a_prev, xt)


def rnn_forward(x, a0, p):
    n_x, m, T = x.shape
    n_a, n_y = p["Waa"].shape[0], p["Wya"].shape[0]
    a, y, caches = np.zeros((n_a, m, T)), np.zeros((n_y, m, T)), []
    a_next = a0
    for t in range(T):
        a_next, y[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_next, p)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y, caches


def rnn_cell_backward(da_next, cache, p):
    a_next, a_prev, xt = cache
    dtanh = (1 - a_next**2) * da_next
    return {
        "dxt": p["Wax"].T @ dtanh,
        "da_prev": p["Waa"].T @ dtanh,
        "dWax": dtanh @ xt.T,
        "dWaa": dtanh @ a_prev.T,
        "dba": dtanh.sum(axis=1, keepdims=True),
    }


def rnn_backward(da, caches, p):
    n_a, m, T = da.shape
    n_x = caches[0][2].shape[0]
    dx = np.zeros((n_x, m, T))
    g = {"dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T)):
        step = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t], p)
        dx[:, :, t] = step["dxt"]
        da_prevt = step["da_prev"]
        for k in g:
            g[k] = g[k] + step[k]
    g["dx"], g["da0"] = dx, da_prevt
    return g


def lstm_cell_forward(xt, a_prev, c_prev, p):
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = ot * np.tanh(c_next)
    return a_next, c_next, softmax(p["Wy"] @ a_next + p["by"])


def lstm_forward(x, a0, p):
    n_x, m, T = x.shape
    n_a, n_y = a0.shape[0], p["Wy"].shape[0]
    a, c, y = np.zeros((n_a, m, T)), np.zeros((n_a, m, T)), np.zeros((n_y, m, T))
    a_next, c_next = a0, np.zeros((n_a, m))
    for t in range(T):
        a_next, c_next, y[:, :, t] = lstm_cell_forward(x[:, :, t], a_next, c_next, p)
        a[:, :, t], c[:, :, t] = a_next, c_next
    return a, y, c


def one_hot(rng, n_y, shape):
    labels = rng.randint(0, n_y, size=shape)
    return np.eye(n_y)[labels].transpose(len(shape), *range(len(shape)))  # (n_y, *shape)


def main(out):
    os.makedirs(out, exist_ok=True)
    save = lambda name, v: np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(v, dtype=np.float64))
    n_x, n_a, n_y, m, T = 3, 5, 2, 10, 4
    np.random.seed(1)
    xt, a_prev = np.random.randn(n_x, m), np.random.randn(n_a, m)
    x, a0 = np.random.randn(n_x, m, T), np.random.randn(n_a, m)
    p = {"Waa": np.random.randn(n_a, n_a), "Wax": np.random.randn(n_a, n_x), "Wya": np.random.randn(n_y, n_a),
         "ba": np.random.randn(n_a, 1), "by": np.random.randn(n_y, 1)}
    Y_cell, Y_seq = one_hot(np.random, n_y, (m,)), one_hot(np.random, n_y, (m, T))
    for k in ("xt", "a_prev", "x", "a0"):
        save(k, locals()[k])
    for k, v in p.items():
        save(k, v)
    save("Y_cell", Y_cell)
    save("Y_seq", Y_seq)

    # the cell: forward, then backward from the cross-entropy of y_t
    a_next, yt, cache = rnn_cell_forward(xt, a_prev, p)
    save("cell_a_next", a_next)
    save("cell_yt_pred", yt)
    dz = (yt - Y_cell) / m
    save("cell_dWya", dz @ a_next.T)
    save("cell_dby", dz.sum(axis=1, keepdims=True))
    for k, v in rnn_cell_backward(p["Wya"].T @ dz, cache, p).items():
        save("cell_" + k, v)

    # the sequence from a0: forward, then backward through time
    a, y, caches = rnn_forward(x, a0, p)
    save("seq_a", a)
    save("seq_y_pred", y)
    dz = (y - Y_seq) / (m * T)
    save("seq_dWya", np.einsum("omt,amt->oa", dz, a))
    save("seq_dby", dz.sum(axis=(1, 2))[:, None])
    da = np.einsum("oa,omt->amt", p["Wya"], dz)
    for k, v in rnn_backward(da, caches, p).items():
        save("seq_" + k, v)

    # the LSTM from a0 (c0 = 0)
    lp = {k: np.random.randn(n_a, n_a + n_x) for k in ("Wf", "Wi", "Wc", "Wo")}
    lp.update({k: np.random.randn(n_a, 1) for k in ("bf", "bi", "bc", "bo")})
    lp.update({"Wy": np.random.randn(n_y, n_a), "by": np.random.randn(n_y, 1)})
    for k, v in lp.items():
        save("lstm_" + k, v)
    a_next, c_next, yt = lstm_cell_forward(xt, a_prev, np.zeros((n_a, m)), lp)
    save("lstm_cell_a_next", a_next)
    save("lstm_cell_c_next", c_next)
    save("lstm_cell_yt_pred", yt)
    a, y, c = lstm_forward(x, a0, lp)
    save("lstm_seq_a", a)
    save("lstm_seq_y_pred", y)
    save("lstm_seq_c", c)


if __name__ == "__main__":
    main(sys.argv[1])
