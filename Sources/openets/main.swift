import OpenETSDomain
print("x")
