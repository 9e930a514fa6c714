"""Views of the Evidence Store: public pages (``public``) and staff pages (``staff``)."""
