# A competitive-programming style script, the kind of code the shipped model was trained on: it reads a word and
# builds the answer by string concatenation in a loop (each `+` copies the string so far).
s = input()
t = ''
for c in s:
    if c not in 'aeiou':
        t = t + c
print(t)
