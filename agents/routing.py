urlpatterns: list = []
websocket_urlpatterns: list = []
