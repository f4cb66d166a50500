import DeepSwift
print(Tensor.arange(3))
