"use client";

import { Plus } from "lucide-react";
import { useState } from "react";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Dialog } from "~/components/ui/dialog";
import { CreateOrganizationForm } from "../create-organization-form";

export function NewOrganizationButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="outline" onClick={() => setOpen(true)}>
        <Plus className="h-4 w-4" aria-hidden="true" />
        New organisation
      </Button>
      <Dialog open={open} onOpenChange={setOpen} title="New organisation" description="You become its owner and can invite your team.">
        <CreateOrganizationForm onCreated={() => setOpen(false)} />
      </Dialog>
    </>
  );
}
