# A competitive-programming style script, the kind of code the shipped model was trained on: it reads a list and
# counts the distinct values with a membership test against a list (quadratic) and input() for every line.
n = int(input())
values = list(map(int, input().split()))
seen = []
count = 0
for v in values:
    if v not in seen:
        seen.append(v)
        count += 1
queries = int(input())
for _ in range(queries):
    q = int(input())
    if q in seen:
        print('YES')
    else:
        print('NO')
print(count)
