"""The Bach chorales: parsing, the `Chorale` record and its views, cache, split, augmentation."""
