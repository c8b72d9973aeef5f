"""Image attachments: accepted only when Pillow decodes them as PNG, JPEG or WebP, whatever the declared
type; refused above 10 MiB or when they would decode to too many pixels (checked from the header, before
decoding); shrunk to at most 2048 px a side and re-encoded without metadata before storage."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from types import SimpleNamespace

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from agents.models import Image
from config.errors import InvalidInput, PayloadTooLarge
from config.ratelimits import enforce

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Decoding costs memory by pixels, not by bytes: a 170 KB PNG can hold 40 megapixels (~160 MB decoded).
# At most DECODED_MAX_PIXELS are ever decoded (64 MiB as RGBA), checked from the header before any pixel is.
DECODED_MAX_PIXELS = 4096 * 4096
# JPEGs are decoded at 1/2, 1/4 or 1/8 scale (draft mode) when that is enough for the stored size, so larger
# photos fit within the same memory; past this they are refused from the header too.
JPEG_MAX_PIXELS = 8000 * 8000
# Stored (and sent to models) at most this wide or high: models downscale larger images anyway.
STORED_MAX_EDGE = 2048
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def image_store(*, owner, upload, agent=None) -> Image:
    """Validate, re-encode and save one uploaded image. Refusals name the file and the reason.

    Counted against the owner's image rate (ATELIER_IMAGE_RATE) before any decoding: decoding costs CPU
    and memory whoever pays for the model.
    """
    enforce(
        request=SimpleNamespace(user=owner),
        group="images",
        key=lambda group, request: str(request.user.pk),
        rate=settings.IMAGE_RATE,
        message="Too many image uploads.",
    )
    name = getattr(upload, "name", "image") or "image"
    if upload.size > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(f"{name}: larger than 10 MiB.", details={"file": name})
    image_format, clean = image_decoded(raw=upload.read(), name=name)
    out = io.BytesIO()
    clean.save(out, format=image_format, **({"quality": 90} if image_format in ("JPEG", "WEBP") else {}))
    data = out.getvalue()
    image = Image(
        owner=owner,
        agent=agent,
        mime_type=FORMATS[image_format],
        bytes=len(data),
        width=clean.width,
        height=clean.height,
        original_name=name[:255],
    )
    image.file.save(f"upload.{image.extension}", ContentFile(data), save=False)
    image.save()
    return image


def image_decoded(*, raw: bytes, name: str) -> tuple[str, PILImage.Image]:
    """The picture in `raw` as (format, pixels without metadata), at most STORED_MAX_EDGE on a side.

    The format and size come from the header, before anything is decoded; a picture that would decode to
    more than DECODED_MAX_PIXELS is refused (413) then, except a JPEG its decoder can shrink while decoding.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            probe = PILImage.open(io.BytesIO(raw))  # reads the header only
            if probe.format not in FORMATS:
                raise InvalidInput(f"{name}: not a PNG, JPEG or WebP image.", details={"file": name})
            image_format = probe.format
            _refuse_too_many_pixels(name=name, image_format=image_format, size=probe.size)
            probe.verify()
            picture = PILImage.open(io.BytesIO(raw))
            if image_format == "JPEG":
                # Decode straight at the smallest 1/2^n scale still at least STORED_MAX_EDGE on a side.
                picture.draft(picture.mode, (STORED_MAX_EDGE, STORED_MAX_EDGE))
            width, height = picture.size
            if width * height > DECODED_MAX_PIXELS:
                raise _too_many_pixels(name=name, size=probe.size)
            picture.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise _too_many_pixels(name=name, size=None)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(f"{name}: not a readable PNG, JPEG or WebP image.", details={"file": name})

    # Shrunk first, so the copies below are of the stored size; reduce() makes the large steps cheap.
    picture.thumbnail((STORED_MAX_EDGE, STORED_MAX_EDGE), reducing_gap=2.0)
    # Re-encoding from pixels drops EXIF, GPS, ICC text chunks and anything smuggled after the image data.
    if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        picture = picture.convert("RGBA")
    clean = PILImage.frombytes(picture.mode, picture.size, picture.tobytes())
    if picture.mode == "P":
        clean.putpalette(picture.getpalette())
    return image_format, clean


def _refuse_too_many_pixels(*, name: str, image_format: str, size: tuple[int, int]) -> None:
    width, height = size
    limit = JPEG_MAX_PIXELS if image_format == "JPEG" else DECODED_MAX_PIXELS
    if width * height > limit:
        raise _too_many_pixels(name=name, size=size)


def _too_many_pixels(*, name: str, size: tuple[int, int] | None) -> PayloadTooLarge:
    shown = f" ({size[0]}×{size[1]})" if size else ""
    return PayloadTooLarge(
        f"{name}: too many pixels{shown}; at most 4096×4096 (8000×8000 for a JPEG).",
        details={"file": name, "maxPixels": DECODED_MAX_PIXELS, "maxJpegPixels": JPEG_MAX_PIXELS},
    )


def base64_upload(attachment) -> ContentFile:
    """An inline image (VibeSDK's ImageAttachment: `{filename, mimeType, base64Data}`) as an upload for
    `image_store`, refused above the upload size cap before it is decoded."""
    if not isinstance(attachment, dict) or not isinstance(attachment.get("base64Data"), str):
        raise InvalidInput("images: each image needs `base64Data` (base64 text).")
    name = attachment.get("filename") if isinstance(attachment.get("filename"), str) else "image"
    data = attachment["base64Data"].strip()
    if data.startswith("data:") and "," in data:
        data = data.split(",", 1)[1]
    if len(data) * 3 // 4 > MAX_IMAGE_BYTES + 2:
        raise PayloadTooLarge(f"{name}: larger than 10 MiB.", details={"file": name})
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{name}: `base64Data` is not valid base64.", details={"file": name})
    return ContentFile(raw, name=name[:255] or "image")


def image_from_base64(*, owner, attachment, agent=None) -> Image:
    """Store an inline image exactly as an upload: the same decode, checks and re-encoding."""
    return image_store(owner=owner, upload=base64_upload(attachment), agent=agent)
