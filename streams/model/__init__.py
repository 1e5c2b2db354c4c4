"""The payment as the engine sees it: decoding, validation, canonical identifiers, masking."""
