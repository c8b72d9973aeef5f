"""Images are decoded at bounded cost: too many pixels are refused from the header, before any decoding,
and large JPEGs are decoded at reduced scale."""

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from agents.images import STORED_MAX_EDGE

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int = 6300, height: int = 6300) -> bytes:
    """A valid RGB PNG of width×height black pixels: ~120 MB decoded, ~120 KB on disk, built row by row."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (3 * width)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.fixture
def planned(create_agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return create_agent("a todo list", blueprint=False)


def test_a_6300_square_png_is_refused_with_a_413_envelope(api_client, planned):
    upload = SimpleUploadedFile("huge.png", huge_png(), content_type="image/png")
    response = api_client.post(f"/api/agent/{planned.pk}/images", {"images": [upload]}, format="multipart")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "PAYLOAD_TOO_LARGE"
    assert error["message"].startswith("huge.png: too many pixels (6300×6300)")


MEASURE = """
import resource, sys
import django
django.setup()
from agents.images import image_decoded
from config.errors import PayloadTooLarge
raw = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    image_decoded(raw=raw, name="huge.png")
except PayloadTooLarge:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_refusing_a_6300_square_png_costs_no_decoding_memory():
    """In a fresh process, so that the peak resident size is this refusal's alone (the image is ~120 MB)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "ATELIER_TESTING": "true"}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE], input=huge_png(), capture_output=True, cwd=ROOT, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    grown_kib = int(result.stdout.decode().split()[-1])
    assert grown_kib < 20 * 1024


def test_a_large_jpeg_is_decoded_at_reduced_scale_and_stored_at_most_2048_a_side(api_client, planned):
    photo = io.BytesIO()
    PILImage.new("RGB", (6000, 4500), (200, 120, 40)).save(photo, format="JPEG", quality=80)
    upload = SimpleUploadedFile("photo.jpg", photo.getvalue(), content_type="image/jpeg")
    response = api_client.post(f"/api/agent/{planned.pk}/images", {"images": [upload]}, format="multipart")
    assert response.status_code == 201, response.content
    from agents.models import Image

    image = Image.objects.get()
    assert max(image.width, image.height) == STORED_MAX_EDGE
    with image.file.open("rb") as handle:
        assert PILImage.open(handle).size == (image.width, image.height)
