"""``speedhints export``: a trained checkpoint -> the ONNX bundle that model_export's runtime loads (uses torch)."""
