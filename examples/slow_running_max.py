"""Sliding-window maximum of sensor readings, written the way it often first gets written: index loops and a
fresh max() over every window (O(n * k))."""

from __future__ import annotations

import sys


def window_maxima(readings: list[float], width: int) -> list[float]:
    maxima = []
    for i in range(len(readings)):
        if i + 1 >= width:
            maxima.append(max(readings[i + 1 - width : i + 1]))
    return maxima


def report(readings: list[float], width: int) -> str:
    text = ""
    for value in window_maxima(readings, width):
        text += f"{value:.2f}\n"  # repeated string concatenation
    return text


if __name__ == "__main__":
    values = [float(line) for line in sys.stdin if line.strip()]
    sys.stdout.write(report(values, int(sys.argv[1]) if len(sys.argv) > 1 else 10))
