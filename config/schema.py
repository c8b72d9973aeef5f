"""OpenAPI schema generation tuned to the styleguide's nested Input/Output serializers."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        # Many views nest a class called InputSerializer; name components after the view as well.
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer = qualname.split(".")[0].removesuffix("Api").removesuffix("View")
            name = f"{outer}{name}"
        return name
