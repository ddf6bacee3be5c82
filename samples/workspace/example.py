"""Small sample module for trying Cloze in Python."""


def mean(values):
    # Return the [MASK] of the values, or zero for an empty list.
    if not values:
        return 0.0
    return sum(values) / len(values)


if __name__ == "__main__":
    print(mean([1, 2, 3]))  # prints the [MASK]
