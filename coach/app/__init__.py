"""The chat app: Debrief Coach in the browser, served by Chainlit (`coach run`).

Modules that import Chainlit (``main``, ``handlers``, ``render``, ``datalayer``,
``storage``) read ``CHAINLIT_APP_ROOT`` when first imported; ``coach run`` sets it to the
app folder it prepares under the data directory (see ``approot``).
"""
