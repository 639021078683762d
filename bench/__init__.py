"""mnist-bench: compare small convolutional networks on MNIST-family data."""

__version__ = "0.1.0"
