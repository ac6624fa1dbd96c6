import json, random, sys
# usage: make_pairs.py OUT SEED  (B=3, T=8, vocab 97 -> ids in [3, 96])
out, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed); B, T = 3, 8
clean = [[r.randrange(3, 97) for _ in range(T)] for _ in range(B)]
corrupt = []
for row in clean:
    c = list(row); i = r.randrange(1, T)  # change one token (positions 1..T-1)
    c[i] = (c[i] - 3 + r.randrange(1, 94)) % 94 + 3
    corrupt.append(c)
ca = [r.randrange(3, 97) for _ in range(B)]
xa = [(a - 3 + r.randrange(1, 94)) % 94 + 3 for a in ca]
json.dump({"clean_ids": clean, "corrupt_ids": corrupt, "answer_pos": [T - 1] * B,
           "clean_answer": ca, "corrupt_answer": xa}, open(out, "w"))
