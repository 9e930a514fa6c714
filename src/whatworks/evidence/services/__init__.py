"""Writes of the Evidence Store: interventions, ratings, studies and findings in
:mod:`.store`, imports and exports of whole files in :mod:`.transfer`."""
