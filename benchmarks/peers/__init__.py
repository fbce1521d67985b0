"""The same networks and train steps in other frameworks (PyTorch), to check and compare
tfhybrids against. Run with a separate environment that has them: PyTorch is no dependency of
tfhybrids."""
