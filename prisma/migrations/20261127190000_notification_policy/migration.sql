-- Each person's notification policy, the same for every channel and device.
CREATE TABLE "NotificationPolicy" (
    "person" TEXT NOT NULL PRIMARY KEY,
    "mode" TEXT NOT NULL DEFAULT 'normal',
    "mutedProjects" TEXT NOT NULL DEFAULT '[]',
    "quietFrom" INTEGER,
    "quietUntil" INTEGER,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC'
);
