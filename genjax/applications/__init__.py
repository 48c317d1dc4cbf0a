"""The applications (anomaly detection, data augmentation, image repair, latent-space tools) as
pure functions; experiments/<name>.py holds the flags and main of each."""
