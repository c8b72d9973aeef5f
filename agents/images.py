"""Image attachments: accepted only when Pillow decodes them as PNG, JPEG or WebP, whatever the declared
type; refused above 10 MiB or 40 megapixels; re-encoded without metadata before storage."""

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
MAX_PIXELS = 40_000_000
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
    raw = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            probe = PILImage.open(io.BytesIO(raw))
            if probe.format not in FORMATS:
                raise InvalidInput(f"{name}: not a PNG, JPEG or WebP image.", details={"file": name})
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise InvalidInput(f"{name}: more than 40 megapixels ({width}×{height}).", details={"file": name})
            probe.verify()
            picture = PILImage.open(io.BytesIO(raw))
            picture.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise InvalidInput(f"{name}: more than 40 megapixels.", details={"file": name})
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(f"{name}: not a readable PNG, JPEG or WebP image.", details={"file": name})

    image_format = probe.format
    # Re-encoding from pixels drops EXIF, GPS, ICC text chunks and anything smuggled after the image data.
    if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    elif picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        picture = picture.convert("RGBA")
    clean = PILImage.frombytes(picture.mode, picture.size, picture.tobytes())
    if picture.mode == "P":
        clean.putpalette(picture.getpalette())
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
