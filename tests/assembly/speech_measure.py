"""Numpy measures of speech used by the voice tests: median pitch, spectral centroid, level."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def samples(path: Path) -> tuple[int, np.ndarray]:
    """(rate, mono float samples in -1..1) of a 16-bit WAV."""
    with wave.open(str(path), "rb") as handle:
        rate, channels = handle.getframerate(), handle.getnchannels()
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    return rate, data.reshape(-1, channels)[:, 0].astype(np.float64) / 32768.0


def _frames(x: np.ndarray, rate: int, ms: int = 40) -> list[np.ndarray]:
    size = rate * ms // 1000
    frames = [x[i:i + size] for i in range(0, len(x) - size, size // 2)]
    loud = max(float(np.sqrt(np.mean(f * f))) for f in frames)
    return [f for f in frames if np.sqrt(np.mean(f * f)) > 0.2 * loud]  # voiced: the loud ones


def median_f0(path: Path) -> float:
    """Median fundamental frequency (Hz) over voiced frames, by YIN's cumulative mean normalised
    difference (first dip under 0.15 between 60 and 500 Hz)."""
    rate, x = samples(path)
    lo, hi = rate // 500, rate // 60
    pitches = []
    for frame in _frames(x, rate):
        w = len(frame) - hi
        n = 2 * len(frame)
        # sum((x[:w] - x[lag:lag+w])²) for every lag, through one FFT cross-correlation
        cross = np.fft.irfft(np.fft.rfft(frame, n) * np.conj(np.fft.rfft(frame[:w], n)), n)[:hi]
        energy = np.concatenate([[0.0], np.cumsum(frame * frame)])
        shifted = energy[np.arange(hi) + w] - energy[np.arange(hi)]
        diff = energy[w] + shifted - 2 * cross
        cmnd = diff[1:] * np.arange(1, hi) / np.maximum(np.cumsum(diff[1:]), 1e-12)
        dips = np.nonzero(cmnd[lo - 1:] < 0.15)[0]
        if len(dips):
            lag = lo + int(dips[0])
            while lag + 1 < hi and cmnd[lag] < cmnd[lag - 1]:  # slide to the dip's bottom
                lag += 1
            pitches.append(rate / lag)
    return float(np.median(pitches))


def spectral_centroid(path: Path) -> float:
    """Mean spectral centroid (Hz) over voiced frames."""
    rate, x = samples(path)
    centroids = []
    for frame in _frames(x, rate):
        spectrum = np.abs(np.fft.rfft(frame * np.hanning(len(frame))))
        freqs = np.fft.rfftfreq(len(frame), 1 / rate)
        centroids.append(float((freqs * spectrum).sum() / spectrum.sum()))
    return float(np.mean(centroids))


def rms_db(path: Path) -> float:
    """Level of the voiced frames, dBFS."""
    rate, x = samples(path)
    voiced = np.concatenate(_frames(x, rate))
    return float(20 * np.log10(np.sqrt(np.mean(voiced * voiced))))
