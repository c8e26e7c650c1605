//! Customer lifetime value: BG/NBD, Gamma–Gamma and shifted-beta-geometric models.
