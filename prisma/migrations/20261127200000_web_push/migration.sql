-- Web Push: the devices that asked to be notified, and the server's VAPID key pair.
CREATE TABLE "PushDevice" (
    "endpoint" TEXT NOT NULL PRIMARY KEY,
    "person" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" DATETIME,
    "lastStatus" TEXT,
    "lastSuccessAt" DATETIME
);

CREATE TABLE "VapidKeys" (
    "publicKey" TEXT NOT NULL PRIMARY KEY,
    "privateKey" TEXT NOT NULL
);
