"""Reference for tests/runtime/word_vectors_test.cpp: C5W2A1's formulas in numpy float64, on a
GloVe text file read here with str.split and float (not with kiln's reader).

Usage: /usr/bin/python3 word_vectors_ref.py VECTORS.txt QUERIES.txt OUT.txt
One query per line, one answer line per query (numbers as %.17g):
  cos W1 W2                 cosine_similarity(e_W1, e_W2)
  cosdiff A B C D           cosine_similarity(e_A - e_B, e_C - e_D)
  analogy A B C             best_word best_score second_score   (argmax cos(e_B - e_A, e_w - e_C))
  cosadd A B C              best_word best_score second_score   (argmax cos(e_w, u_B - u_A + u_C))
  nearest W K               w1 s1 w2 s2 ... (the K highest cos(e_W, e_w), w != W)
  neutralize W G1 G2        e_W - (e_W.g / |g|^2) g, g = e_G1 - e_G2
  equalize W1 W2 G1 G2      e1 (D numbers) then e2 (D numbers), bias axis g = e_G1 - e_G2
"""
import sys

import numpy as np


def read_glove(path):
    words, rows = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            words.append(fields[0])
            rows.append([float(x) for x in fields[1:]])
    return words, np.array(rows, dtype=np.float64)


def cosine_similarity(u, v):
    # The course's special cases: equal vectors (two zero vectors too) give 1, a zero vector 0.
    if np.all(u == v):
        return 1.0
    norms = np.sqrt(np.sum(u * u)) * np.sqrt(np.sum(v * v))
    if norms == 0:
        return 0.0
    return float(np.dot(u, v) / norms)


def cosine_rows(matrix, v):
    # cosine_similarity(row, v) for every row, with the same special cases.
    norms = np.sqrt(np.sum(matrix * matrix, axis=1)) * np.sqrt(np.sum(v * v))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(norms == 0, 0.0, (matrix @ v) / np.where(norms == 0, 1.0, norms))
    scores[np.all(matrix == v, axis=1)] = 1.0
    return scores


def best_two(words, scores, excluded):
    # The first maximum in file order (the course's strict >), and the runner-up's score.
    scores = scores.copy()
    for w in excluded:
        scores[words.index(w)] = -np.inf
    best = int(np.argmax(scores))
    best_score = scores[best]
    scores[best] = -np.inf
    return words[best], best_score, float(np.max(scores))


def neutralize(e, g):
    e_biascomponent = np.dot(e, g) / np.sum(g * g) * g
    return e - e_biascomponent


def equalize(e_w1, e_w2, bias_axis):
    mu = (e_w1 + e_w2) / 2
    mu_B = np.dot(mu, bias_axis) / np.sum(bias_axis * bias_axis) * bias_axis
    mu_orth = mu - mu_B
    e_w1B = np.dot(e_w1, bias_axis) / np.sum(bias_axis * bias_axis) * bias_axis
    e_w2B = np.dot(e_w2, bias_axis) / np.sum(bias_axis * bias_axis) * bias_axis
    scale = np.sqrt(np.abs(1 - np.sum(mu_orth * mu_orth)))
    corrected_e_w1B = scale * (e_w1B - mu_B) / np.linalg.norm((e_w1 - mu_orth) - mu_B)
    corrected_e_w2B = scale * (e_w2B - mu_B) / np.linalg.norm((e_w2 - mu_orth) - mu_B)
    return corrected_e_w1B + mu_orth, corrected_e_w2B + mu_orth


def main():
    words, E = read_glove(sys.argv[1])
    row = {w: i for i, w in enumerate(words)}
    e = lambda w: E[row[w]]
    fmt = lambda xs: " ".join("%.17g" % x for x in xs)
    out = []
    with open(sys.argv[2], encoding="utf-8") as f:
        queries = [line.split() for line in f if line.strip()]
    for q in queries:
        op, args = q[0], q[1:]
        if op == "cos":
            out.append(fmt([cosine_similarity(e(args[0]), e(args[1]))]))
        elif op == "cosdiff":
            a, b, c, d = args
            out.append(fmt([cosine_similarity(e(a) - e(b), e(c) - e(d))]))
        elif op in ("analogy", "cosadd"):
            a, b, c = args
            if op == "analogy":
                scores = cosine_rows(E - e(c), e(b) - e(a))
            else:
                unit = lambda w: e(w) / np.linalg.norm(e(w))
                scores = cosine_rows(E, unit(b) - unit(a) + unit(c))
            best, s1, s2 = best_two(words, scores, (a, b, c))
            out.append("%s %s" % (best, fmt([s1, s2])))
        elif op == "nearest":
            w, k = args[0], int(args[1])
            scores = cosine_rows(E, e(w))
            order = [i for i in sorted(range(len(words)), key=lambda i: (-scores[i], i)) if words[i] != w][:k]
            out.append(" ".join("%s %.17g" % (words[i], scores[i]) for i in order))
        elif op == "neutralize":
            out.append(fmt(neutralize(e(args[0]), e(args[1]) - e(args[2]))))
        elif op == "equalize":
            e1, e2 = equalize(e(args[0]), e(args[1]), e(args[2]) - e(args[3]))
            out.append(fmt(list(e1) + list(e2)))
        else:
            sys.exit("word_vectors_ref.py: unknown query '%s'" % op)
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
